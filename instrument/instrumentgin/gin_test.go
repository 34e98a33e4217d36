package instrumentgin_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/failhop/failhop/instrument/instrumentgin"
	"github.com/failhop/failhop/instrument/internal/routertest"
	"github.com/failhop/failhop/vocab"
)

func init() { gin.SetMode(gin.TestMode) }

func TestRoute(t *testing.T) {
	routertest.Run(t, ":id", func(routes []routertest.Route) http.Handler {
		engine := gin.New() // no gin.Recovery: instrument.Handler records the panic
		engine.Use(instrumentgin.Route())
		for _, rt := range routes {
			engine.GET(rt.Template, gin.WrapF(rt.Handler))
		}
		return engine
	})
}

// With gin's Recovery (gin.Default's), a panic is a 500 without a body to
// instrument.Handler: the span keeps its route and is the origin, as
// app_error; the answer is the safe page.
func TestRouteWithGinRecovery(t *testing.T) {
	engine := gin.New()
	engine.Use(gin.RecoveryWithWriter(io.Discard), instrumentgin.Route()) // gin.Default's Recovery, quiet

	engine.GET("/items/:id/label", func(c *gin.Context) { panic("assignment to entry in nil map") })

	rec := routertest.NewRecorder(t)
	w := rec.Serve(engine, "/items/13/label")
	span := rec.CheckServer(t, "GET /items/:id/label", "/items/:id/label",
		routertest.Marks{Origin: true, Cause: vocab.CauseAppError, ErrorType: "500"})
	routertest.CheckSafePage(t, w, span)
}

// A group's prefix is in the route; gin's own 500 with a body keeps the
// marks.
func TestRouteGroup(t *testing.T) {
	engine := gin.New()
	engine.Use(instrumentgin.Route())
	api := engine.Group("/api")
	api.GET("/items/:id", func(c *gin.Context) { c.String(http.StatusInternalServerError, "stock: db down") })

	rec := routertest.NewRecorder(t)
	w := rec.Serve(engine, "/api/items/7")
	span := rec.CheckServer(t, "GET /api/items/:id", "/api/items/:id",
		routertest.Marks{Origin: true, Cause: vocab.CauseAppError, ErrorType: "500"})
	routertest.CheckSafePage(t, w, span) // a public edge: the handler's text does not reach the user
}
