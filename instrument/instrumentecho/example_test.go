package instrumentecho_test

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/failhop/failhop/instrument"
	"github.com/failhop/failhop/instrument/instrumentecho"
)

// An echo router served by instrument.Handler, its spans named by route:
// GET /items/7 makes the server span "GET /items/:id".
func ExampleRoute() {
	e := echo.New()
	e.Use(instrumentecho.Route())
	e.GET("/items/:id", func(c echo.Context) error {
		return c.String(http.StatusOK, c.Param("id"))
	})
	_ = http.ListenAndServe(":8082", instrument.Handler(e, "inventory"))
}
