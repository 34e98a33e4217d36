// Package instrumentecho names the server spans of an echo router served
// by instrument.Handler by the route that matched: GET /items/7 makes a
// span "GET /items/:id" with http.route "/items/:id", and otelhttp's
// metrics get the same http.route.
//
//	e := echo.New()
//	e.Use(instrumentecho.Route())
//	e.GET("/items/:id", item)
//	http.ListenAndServe(":8080", instrument.Handler(e, "inventory"))
//
// Everything else (the span, the failure marks, the safe error page, the
// options) is instrument.Handler's. It is a module of its own so that a
// user of package instrument does not download echo.
//
// # Errors and panics
//
// A handler's error reaches instrument.Handler as the answer echo's
// HTTPErrorHandler writes for it: a 5xx is marked (cause app_error; at a
// public edge its body is replaced by the safe error page). To put the
// error itself on the span, with its message and stack, call
// instrument.RecordError(c.Request().Context(), err) where it is handled,
// in the handler or in a custom HTTPErrorHandler.
//
// echo.New recovers no panic: instrument.Handler does, and records it
// with its stack, as cause panic. Leave echo's middleware.Recover out:
// it turns the panic into an error, which becomes a 500 marked app_error,
// with no stack on the span.
package instrumentecho

import (
	"github.com/labstack/echo/v4"

	"github.com/failhop/failhop/instrument"
)

// Route returns an echo middleware that gives the matched route's path
// (c.Path(), a group's prefix included) to instrument.SetRoute, for e.Use
// on the router that instrument.Handler serves (echo routes before it runs
// the middlewares of e.Use; not for e.Pre). A path that matched no route
// (404), or none for its method (405), gets no route, and its span keeps
// the method alone as its name. A not-found route of e.RouteNotFound is a
// route like the others: its requests are named by its path.
func Route() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			// echo sets the Allow header's value only for a path that no
			// route serves with this method, and gives it that route's path.
			if template := c.Path(); template != "" && c.Get(echo.ContextKeyHeaderAllow) == nil {
				instrument.SetRoute(c.Request(), template)
			}
			return next(c)
		}
	}
}
