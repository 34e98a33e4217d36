// Package instrumentchi names the server spans of a go-chi/chi router
// served by instrument.Handler by the route that matched: GET /items/7
// makes a span "GET /items/{id}" with http.route "/items/{id}", and
// otelhttp's metrics get the same http.route.
//
//	r := chi.NewRouter()
//	r.Use(instrumentchi.Route)
//	r.Get("/items/{id}", item)
//	http.ListenAndServe(":8080", instrument.Handler(r, "inventory"))
//
// Everything else (the span, the failure marks, the safe error page, the
// options) is instrument.Handler's. It is a module of its own so that a
// user of package instrument does not download chi.
package instrumentchi

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/failhop/failhop/instrument"
)

// Route is a chi middleware that gives the matched route's pattern to
// instrument.SetRoute, for r.Use on the router that instrument.Handler
// serves (or on a sub-router). chi completes the pattern as it routes, down
// to the sub-router that serves the request, so Route reads it
// (chi.RouteContext(r.Context()).RoutePattern()) once the handler has
// returned, or panicked: the span is still open then. A path that matched
// no route gets none, and its span keeps the method alone as its name.
func Route(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer setRoute(r)
		next.ServeHTTP(w, r)
	})
}

// setRoute gives chi's route pattern to the Handler's span.
func setRoute(r *http.Request) {
	rctx := chi.RouteContext(r.Context())
	if rctx == nil {
		return // not served by a chi router
	}
	pattern := rctx.RoutePattern()
	if pattern == "" || strings.HasSuffix(pattern, "*") && !matched(rctx, r) {
		return
	}
	instrument.SetRoute(r, pattern)
}

// matched reports whether r matched a route of the router. A pattern ending
// in "*" is either a route of its own ("/static/*") or a sub-router's mount
// point left alone when the sub-router matched nothing (its 404): routing
// again, in a fresh context, tells them apart.
func matched(rctx *chi.Context, r *http.Request) bool {
	path := r.URL.RawPath
	if path == "" {
		path = r.URL.Path
	}
	return rctx.Routes != nil && rctx.Routes.Match(chi.NewRouteContext(), r.Method, path)
}
