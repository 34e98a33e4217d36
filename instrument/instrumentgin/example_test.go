package instrumentgin_test

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/failhop/failhop/instrument"
	"github.com/failhop/failhop/instrument/instrumentgin"
)

// A gin engine served by instrument.Handler, its spans named by route:
// GET /items/7 makes the server span "GET /items/:id". gin.New, not
// gin.Default: instrument.Handler recovers panics and records them.
func ExampleRoute() {
	engine := gin.New()
	engine.Use(instrumentgin.Route())
	engine.GET("/items/:id", func(c *gin.Context) {
		c.String(http.StatusOK, c.Param("id"))
	})
	_ = http.ListenAndServe(":8082", instrument.Handler(engine, "inventory"))
}
