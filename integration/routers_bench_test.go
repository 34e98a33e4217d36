package integration

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"
	"github.com/gorilla/mux"
	"github.com/labstack/echo/v4"
	"github.com/riandyrn/otelchi"
	"go.opentelemetry.io/contrib/instrumentation/github.com/gin-gonic/gin/otelgin"
	"go.opentelemetry.io/contrib/instrumentation/github.com/gorilla/mux/otelmux"
	"go.opentelemetry.io/contrib/instrumentation/github.com/labstack/echo/otelecho"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/failhop/failhop/instrument"
	"github.com/failhop/failhop/instrument/instrumentchi"
	"github.com/failhop/failhop/instrument/instrumentecho"
	"github.com/failhop/failhop/instrument/instrumentgin"
	"github.com/failhop/failhop/instrument/instrumentmux"
)

// BenchmarkRouter serves GET /items/7 from a route /items/{id} (/items/:id)
// of each router, in memory, as instrument's BenchmarkHandler does:
// lib=bare is the router alone, lib=otel the router with its own
// OpenTelemetry middleware (otelchi, otelmux, otelgin, otelecho), lib=failhop
// the router with the adapter's Route, served by instrument.Handler. The
// same SDK for all: every span sampled, none exported; the global no-op
// meter provider. For `benchstat -col /lib`; docs/performance.md has the
// figures.
func BenchmarkRouter(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
	b.Cleanup(func() { _ = tp.Shutdown(b.Context()) })
	prop := propagation.TraceContext{}
	failhop := func(h http.Handler) http.Handler {
		return instrument.Handler(h, "bench", instrument.WithTracerProvider(tp), instrument.WithPropagators(prop))
	}
	gin.SetMode(gin.ReleaseMode)
	routers := []struct {
		name                string
		bare, otel, failhop http.Handler
	}{
		{"chi", chiRouter(nil), chiRouter(func(r chi.Router) {
			r.Use(otelchi.Middleware("bench", otelchi.WithChiRoutes(r), otelchi.WithRequestMethodInSpanName(true),
				otelchi.WithTracerProvider(tp), otelchi.WithPropagators(prop)))
		}), failhop(chiRouter(func(r chi.Router) { r.Use(instrumentchi.Route) }))},
		{"mux", muxRouter(nil), muxRouter(otelmux.Middleware("bench", otelmux.WithTracerProvider(tp), otelmux.WithPropagators(prop))),
			failhop(muxRouter(instrumentmux.Route))},
		{"gin", ginRouter(nil), ginRouter(otelgin.Middleware("bench", otelgin.WithTracerProvider(tp), otelgin.WithPropagators(prop))),
			failhop(ginRouter(instrumentgin.Route()))},
		{"echo", echoRouter(nil), echoRouter(otelecho.Middleware("bench", otelecho.WithTracerProvider(tp), otelecho.WithPropagators(prop))),
			failhop(echoRouter(instrumentecho.Route()))},
	}
	for _, rt := range routers {
		for _, lib := range []struct {
			name string
			h    http.Handler
		}{{"bare", rt.bare}, {"otel", rt.otel}, {"failhop", rt.failhop}} {
			b.Run("router="+rt.name+"/lib="+lib.name, func(b *testing.B) {
				req := httptest.NewRequest(http.MethodGet, "/items/7", nil)
				b.ReportAllocs()
				for b.Loop() {
					lib.h.ServeHTTP(httptest.NewRecorder(), req)
				}
			})
		}
	}
}

// item answers every router's GET /items/{id}, as okHandler in
// instrument's benchmarks does.
func item(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"id":7,"stock":3}`)
}

func chiRouter(use func(chi.Router)) http.Handler {
	r := chi.NewRouter()
	if use != nil {
		use(r)
	}
	r.Get("/items/{id}", item)
	return r
}

func muxRouter(mw mux.MiddlewareFunc) http.Handler {
	r := mux.NewRouter()
	if mw != nil {
		r.Use(mw)
	}
	r.HandleFunc("/items/{id}", item).Methods(http.MethodGet)
	return r
}

func ginRouter(mw gin.HandlerFunc) http.Handler {
	engine := gin.New()
	if mw != nil {
		engine.Use(mw)
	}
	engine.GET("/items/:id", gin.WrapF(item))
	return engine
}

func echoRouter(mw echo.MiddlewareFunc) http.Handler {
	e := echo.New()
	if mw != nil {
		e.Use(mw)
	}
	e.GET("/items/:id", echo.WrapHandler(http.HandlerFunc(item)))
	return e
}
