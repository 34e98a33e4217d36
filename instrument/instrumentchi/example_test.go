package instrumentchi_test

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/failhop/failhop/instrument"
	"github.com/failhop/failhop/instrument/instrumentchi"
)

// A chi router served by instrument.Handler, its spans named by route:
// GET /items/7 makes the server span "GET /items/{id}".
func ExampleRoute() {
	r := chi.NewRouter()
	r.Use(instrumentchi.Route)
	r.Get("/items/{id}", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(chi.URLParam(r, "id")))
	})
	_ = http.ListenAndServe(":8082", instrument.Handler(r, "inventory"))
}
