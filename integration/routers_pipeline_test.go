package integration

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/mux"
	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/contrib/instrumentation/github.com/gin-gonic/gin/otelgin"
	"go.opentelemetry.io/contrib/instrumentation/github.com/gorilla/mux/otelmux"
	"go.opentelemetry.io/contrib/instrumentation/github.com/labstack/echo/otelecho"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/analyzer"
	"github.com/failhop/failhop/internal/devstack/stack"
	jaegerapi "github.com/failhop/failhop/jaeger"
)

// TestRouterOtelOnly sends the traces of services instrumented with their
// router's own OpenTelemetry middleware only (otelgin, otelmux, otelecho:
// no failhop marks) through the real collector into Jaeger, makes a route
// fail with 500, and checks that `failhop why --json` names the failing
// hop by the route, as each middleware names its span, not by the path.
func TestRouterOtelOnly(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	cli := filepath.Join(root, "bin", "failhop")
	if _, err := os.Stat(cli); err != nil {
		t.Fatal("bin/failhop is missing: run `make bin/failhop` (make test does)")
	}
	st, err := stack.Start(t.Context(), stack.Config{Root: root, Dir: t.TempDir(),
		CollectorEnv: []string{"FAILHOP_SAMPLE_PERCENT=0", "FAILHOP_DECISION_WAIT=5s", "FAILHOP_ROOT_WAIT=300ms"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	jaeger := jaegerapi.New(st.JaegerURL)

	gin.SetMode(gin.TestMode)
	for _, app := range []struct {
		service, wantOperation string
		router                 func(trace.TracerProvider) http.Handler
	}{
		{"gin-shop", "GET /items/:id", func(tp trace.TracerProvider) http.Handler {
			engine := gin.New()
			engine.Use(otelgin.Middleware("gin-shop", otelgin.WithTracerProvider(tp), otelgin.WithPropagators(propagation.TraceContext{})))
			engine.GET("/items/:id", func(c *gin.Context) { c.Status(http.StatusInternalServerError) })
			return engine
		}},
		{"mux-shop", "/items/{id}", func(tp trace.TracerProvider) http.Handler { // otelmux names a span by its route alone
			r := mux.NewRouter()
			r.Use(otelmux.Middleware("mux-shop", otelmux.WithTracerProvider(tp), otelmux.WithPropagators(propagation.TraceContext{})))
			r.HandleFunc("/items/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
			return r
		}},
		{"echo-shop", "GET /items/:id", func(tp trace.TracerProvider) http.Handler {
			e := echo.New()
			e.Use(otelecho.Middleware("echo-shop", otelecho.WithTracerProvider(tp), otelecho.WithPropagators(propagation.TraceContext{})))
			e.GET("/items/:id", func(c echo.Context) error { return c.NoContent(http.StatusInternalServerError) })
			return e
		}},
	} {
		t.Run(app.service, func(t *testing.T) {
			traceID := failOnce(t, st.OTLPHTTPEndpoint, app.service, app.router)
			ctx, cancel := context.WithTimeout(t.Context(), 40*time.Second)
			defer cancel()
			if _, err := jaeger.WaitForTrace(ctx, traceID, time.Second, nil); err != nil {
				t.Fatalf("trace %s not in Jaeger: %v", traceID, err)
			}
			out, err := exec.Command(cli, "why", "--json", "--jaeger", st.JaegerURL, traceID).Output()
			if err != nil {
				t.Fatalf("failhop why %s: %v\n%s", traceID, err, out)
			}
			var r analyzer.Report
			if err := json.Unmarshal(out, &r); err != nil {
				t.Fatalf("failhop why --json: %v\n%s", err, out)
			}
			if !r.Failed || len(r.Hops) != 1 {
				t.Fatalf("failhop why: %s", out)
			}
			if h := r.Hops[0]; h.Operation != app.wantOperation || h.Description != app.service+" "+app.wantOperation || h.Cause != "app_error" {
				t.Errorf("failing hop %q (operation %q), cause %s; want %q, app_error", h.Description, h.Operation, h.Cause, app.service+" "+app.wantOperation)
			}
		})
	}
}

// failOnce serves the router made with a tracer provider that exports
// to the collector's OTLP/HTTP endpoint, sends GET /items/7, which
// answers 500, and returns the request's trace ID.
func failOnce(t *testing.T, endpoint, service string, router func(trace.TracerProvider) http.Handler) string {
	t.Helper()
	exp, err := otlptracehttp.New(t.Context(), otlptracehttp.WithEndpoint(endpoint), otlptracehttp.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithSpanProcessor(spans),
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName(service))))
	defer tp.Shutdown(context.Background())
	srv := httptest.NewServer(router(tp))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/items/7")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("GET /items/7: %d, want 500", resp.StatusCode)
	}
	if err := tp.ForceFlush(t.Context()); err != nil {
		t.Fatal(err)
	}
	ended := spans.Ended()
	if len(ended) != 1 {
		t.Fatalf("%d spans, want the server span", len(ended))
	}
	return ended[0].SpanContext().TraceID().String()
}
