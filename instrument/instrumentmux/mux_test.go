package instrumentmux_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gorilla/mux"

	"github.com/failhop/failhop/instrument"
	"github.com/failhop/failhop/instrument/instrumentmux"
	"github.com/failhop/failhop/instrument/internal/routertest"
)

func TestRoute(t *testing.T) {
	routertest.Run(t, "{id}", func(routes []routertest.Route) http.Handler {
		r := mux.NewRouter()
		r.Use(instrumentmux.Route)
		for _, rt := range routes {
			r.HandleFunc(rt.Template, rt.Handler).Methods(http.MethodGet)
		}
		return r
	})
}

// A sub-router's template has its prefix; a method the route does not
// serve (405) gets no route.
func TestRouteSubRouter(t *testing.T) {
	r := mux.NewRouter()
	r.Use(instrumentmux.Route)
	api := r.PathPrefix("/api").Subrouter()
	api.HandleFunc("/items/{id:[0-9]+}", func(w http.ResponseWriter, r *http.Request) {}).Methods(http.MethodGet)

	rec := routertest.NewRecorder(t)
	rec.Serve(r, "/api/items/7")
	rec.CheckServer(t, "GET /api/items/{id:[0-9]+}", "/api/items/{id:[0-9]+}", routertest.Marks{})

	rec = routertest.NewRecorder(t)
	w := httptest.NewRecorder()
	instrument.Handler(r, "inventory", rec.Options...).ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/api/items/7", nil))
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("status %d, want 405", w.Code)
	}
	rec.CheckServer(t, "POST", "", routertest.Marks{})
}
