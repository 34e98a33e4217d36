package instrumentecho_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/failhop/failhop/instrument"
	"github.com/failhop/failhop/instrument/instrumentecho"
	"github.com/failhop/failhop/instrument/internal/routertest"
	"github.com/failhop/failhop/vocab"
)

func TestRoute(t *testing.T) {
	routertest.Run(t, ":id", func(routes []routertest.Route) http.Handler {
		e := echo.New() // no middleware.Recover: instrument.Handler records the panic
		e.Use(instrumentecho.Route())
		for _, rt := range routes {
			e.GET(rt.Template, echo.WrapHandler(rt.Handler))
		}
		return e
	})
}

// A handler's error is a 500 from echo's HTTPErrorHandler: marked
// app_error with the route. With middleware.Recover, a panic is such an
// error too.
func TestRouteHandlerError(t *testing.T) {
	e := echo.New()
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisableErrorHandler: false, DisablePrintStack: true}))
	e.Use(instrumentecho.Route())
	e.GET("/items/:id/stock", func(c echo.Context) error { return errors.New("stock: db down") })
	e.GET("/items/:id/label", func(c echo.Context) error { panic("assignment to entry in nil map") })

	for _, route := range []string{"/items/:id/stock", "/items/:id/label"} {
		rec := routertest.NewRecorder(t)
		w := rec.Serve(e, strings.ReplaceAll(route, ":id", "13"))
		span := rec.CheckServer(t, "GET "+route, route, routertest.Marks{Origin: true, Cause: vocab.CauseAppError, ErrorType: "500"})
		routertest.CheckSafePage(t, w, span)
	}
}

// A group's prefix is in the route; a method the route does not serve
// (405) gets no route.
func TestRouteGroup(t *testing.T) {
	e := echo.New()
	e.Use(instrumentecho.Route())
	e.Group("/api").GET("/items/:id", func(c echo.Context) error { return c.String(http.StatusOK, c.Param("id")) })

	rec := routertest.NewRecorder(t)
	rec.Serve(e, "/api/items/7")
	rec.CheckServer(t, "GET /api/items/:id", "/api/items/:id", routertest.Marks{})

	rec = routertest.NewRecorder(t)
	w := httptest.NewRecorder()
	instrument.Handler(e, "inventory", rec.Options...).ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/api/items/7", nil))
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("status %d, want 405", w.Code)
	}
	rec.CheckServer(t, "POST", "", routertest.Marks{})
}
