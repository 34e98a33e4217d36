package instrumentchi_test

import (
	"net/http"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/failhop/failhop/instrument/instrumentchi"
	"github.com/failhop/failhop/instrument/internal/routertest"
)

func TestRoute(t *testing.T) {
	routertest.Run(t, "{id}", func(routes []routertest.Route) http.Handler {
		r := chi.NewRouter()
		r.Use(instrumentchi.Route)
		for _, rt := range routes {
			r.Get(rt.Template, rt.Handler)
		}
		return r
	})
}

// A sub-router's pattern is complete, prefix included; a path under the
// sub-router's prefix that none of its routes match gets no route, while
// a route ending in a wildcard keeps its own.
func TestRouteSubRouter(t *testing.T) {
	ok := func(w http.ResponseWriter, r *http.Request) {}
	r := chi.NewRouter()
	r.Use(instrumentchi.Route)
	r.Route("/api", func(api chi.Router) {
		api.Get("/items/{id}", ok)
	})
	r.Get("/static/*", http.NotFound)
	for _, tt := range []struct{ path, name, route string }{
		{"/api/items/7", "GET /api/items/{id}", "/api/items/{id}"},
		{"/api/nothing", "GET", ""},
		{"/static/missing.css", "GET /static/*", "/static/*"},
	} {
		rec := routertest.NewRecorder(t)
		rec.Serve(r, tt.path)
		rec.CheckServer(t, tt.name, tt.route, routertest.Marks{})
	}
}
