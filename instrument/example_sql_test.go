package instrument_test

import (
	"log"
	"net/http"

	"github.com/failhop/failhop/instrument"
)

// ExampleOpenDB opens a PostgreSQL database through the pgx driver (which
// the program registers by importing github.com/jackc/pgx/v5/stdlib) and
// uses it with the request's context, so that a failing query is the marked
// origin of the 500 it causes.
func ExampleOpenDB() {
	db, err := instrument.OpenDB("pgx", "postgres://app:password@db.internal:5432/shop",
		instrument.WithDBSystem("postgresql"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	http.HandleFunc("/stock", func(w http.ResponseWriter, r *http.Request) {
		var n int
		// The query span is a child of the request's span: pass r.Context().
		err := db.QueryRowContext(r.Context(), "SELECT count(*) FROM stock WHERE sku = $1", r.FormValue("sku")).Scan(&n)
		if err != nil {
			instrument.RecordError(r.Context(), err)
			http.Error(w, "stock unavailable", http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte("ok"))
	})
}
