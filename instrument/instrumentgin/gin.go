// Package instrumentgin names the server spans of a gin engine served by
// instrument.Handler by the route that matched: GET /items/7 makes a span
// "GET /items/:id" with http.route "/items/:id", and otelhttp's metrics
// get the same http.route.
//
//	engine := gin.New()
//	engine.Use(instrumentgin.Route())
//	engine.GET("/items/:id", item)
//	http.ListenAndServe(":8080", instrument.Handler(engine, "inventory"))
//
// Everything else (the span, the failure marks, the safe error page, the
// options) is instrument.Handler's. It is a module of its own so that a
// user of package instrument does not download gin.
//
// # Panics
//
// Make the engine with gin.New, not gin.Default, or leave gin.Recovery out
// otherwise: instrument.Handler recovers a panic itself and records it on
// the server span with its stack, as cause panic, and answers with the safe
// error page. gin.Recovery catches the panic first and answers 500 with no
// body: the span then says app_error (a 500 with no error recorded), with no
// stack (gin's log has it), and the answer is the same safe page.
//
// An error a handler adds with c.Error stays gin's: call
// instrument.RecordError(c.Request.Context(), err) to put it on the span.
package instrumentgin

import (
	"github.com/gin-gonic/gin"

	"github.com/failhop/failhop/instrument"
)

// Route returns a gin middleware that gives the matched route's path
// (c.FullPath(), a group's prefix included) to instrument.SetRoute, for
// engine.Use on the engine that instrument.Handler serves. A path that
// matched no route (gin's 404 and 405 handlers run the engine's
// middlewares too) gets no route, and its span keeps the method alone as
// its name.
func Route() gin.HandlerFunc {
	return func(c *gin.Context) {
		if template := c.FullPath(); template != "" {
			instrument.SetRoute(c.Request, template)
		}
		c.Next()
	}
}
