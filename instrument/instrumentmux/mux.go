// Package instrumentmux names the server spans of a gorilla/mux router
// served by instrument.Handler by the route that matched: GET /items/7
// makes a span "GET /items/{id}" with http.route "/items/{id}", and
// otelhttp's metrics get the same http.route.
//
//	r := mux.NewRouter()
//	r.Use(instrumentmux.Route)
//	r.HandleFunc("/items/{id}", item).Methods(http.MethodGet)
//	http.ListenAndServe(":8080", instrument.Handler(r, "inventory"))
//
// Everything else (the span, the failure marks, the safe error page, the
// options) is instrument.Handler's. It is a module of its own so that a
// user of package instrument does not download gorilla/mux.
package instrumentmux

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/failhop/failhop/instrument"
)

// Route is a gorilla/mux middleware that gives the matched route's path
// template (mux.CurrentRoute(r).GetPathTemplate(), a sub-router's prefix
// included) to instrument.SetRoute, for r.Use on the router that
// instrument.Handler serves. gorilla/mux runs middlewares only for a
// matched route, so a path that matched none (404, 405) gets no route, and
// its span keeps the method alone as its name; so does a route matched
// without a path (by host or a custom matcher only).
func Route(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if route := mux.CurrentRoute(r); route != nil {
			if template, err := route.GetPathTemplate(); err == nil {
				instrument.SetRoute(r, template)
			}
		}
		next.ServeHTTP(w, r)
	})
}
