package instrumentpgx_test

import (
	"context"
	"errors"
	"log"
	"net/http"
	"os"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/failhop/failhop/instrument"
	"github.com/failhop/failhop/instrument/instrumentpgx"
)

// A service on pgxpool: the tracer goes in the pool's connection
// configuration, and every query made with a request's context is a
// child of its server span. A query the database refuses is marked as
// where the failure started, and the request's 500 as having passed it on.
func ExampleNewTracer() {
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	cfg.ConnConfig.Tracer = instrumentpgx.NewTracer() // client spans; options of package instrument
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}/stock", func(w http.ResponseWriter, r *http.Request) {
		var qty int64
		err := pool.QueryRow(r.Context(), "SELECT qty FROM stock WHERE item_id = $1", r.PathValue("id")).Scan(&qty)
		switch {
		case errors.Is(err, pgx.ErrNoRows): // not a failure: no marks
			http.NotFound(w, r)
		case err != nil:
			instrument.RecordError(r.Context(), err) // the server span names the query span as the origin
			http.Error(w, "stock unavailable", http.StatusInternalServerError)
		}
	})
	log.Fatal(http.ListenAndServe(":8082", instrument.Handler(mux, "inventory")))
}
