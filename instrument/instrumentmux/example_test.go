package instrumentmux_test

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/failhop/failhop/instrument"
	"github.com/failhop/failhop/instrument/instrumentmux"
)

// A gorilla/mux router served by instrument.Handler, its spans named by
// route: GET /items/7 makes the server span "GET /items/{id}".
func ExampleRoute() {
	r := mux.NewRouter()
	r.Use(instrumentmux.Route)
	r.HandleFunc("/items/{id}", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(mux.Vars(r)["id"]))
	}).Methods(http.MethodGet)
	_ = http.ListenAndServe(":8082", instrument.Handler(r, "inventory"))
}
