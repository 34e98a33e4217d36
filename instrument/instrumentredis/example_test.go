package instrumentredis_test

import (
	"errors"
	"log"
	"net/http"

	"github.com/redis/go-redis/v9"

	"github.com/failhop/failhop/instrument"
	"github.com/failhop/failhop/instrument/instrumentredis"
)

// A service with a Redis cache: Instrument adds the hooks once, and every
// command made with a request's context is a child of its server span. A
// missing key is no failure; an error reply (WRONGTYPE, say) is marked as
// where the failure started, and the request's 500 as having passed it on.
// The spans record the commands' shapes ("GET cart:?"), never their values.
func ExampleInstrument() {
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
	if err := instrumentredis.Instrument(rdb); err != nil { // options of package instrument
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /carts/{id}", func(w http.ResponseWriter, r *http.Request) {
		cart, err := rdb.Get(r.Context(), "cart:"+r.PathValue("id")).Result()
		switch {
		case errors.Is(err, redis.Nil): // not a failure: no marks
			http.NotFound(w, r)
		case err != nil:
			instrument.RecordError(r.Context(), err) // the server span names the command's span as the origin
			http.Error(w, "cart unavailable", http.StatusInternalServerError)
		default:
			w.Write([]byte(cart))
		}
	})
	log.Fatal(http.ListenAndServe(":8080", instrument.Handler(mux, "carts")))
}
