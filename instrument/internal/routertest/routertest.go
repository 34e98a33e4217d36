// Package routertest is the test every router adapter of failhop
// (instrumentchi, instrumentmux, instrumentgin, instrumentecho) passes
// with its real router: served by instrument.Handler with the adapter's
// middleware, a matched route names the server span, http.route and
// otelhttp's metrics by its template; a 500 or a panic keeps failhop's
// marks and safe page; an unmatched path gets no route; a thousand IDs
// make one span name.
package routertest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/instrument"
	"github.com/failhop/failhop/vocab"
)

// Route is a route for the router under test to serve: GET Template
// (written in the router's syntax) answered by Handler.
type Route struct {
	Template string
	Handler  http.HandlerFunc
}

// NewRouter returns the router under test, with the adapter's middleware,
// serving routes.
type NewRouter func(routes []Route) http.Handler

// The routes every router serves, with "{id}" in the router's syntax.
const (
	itemRoute  = "/items/{id}"       // 200
	stockRoute = "/items/{id}/stock" // 500 without a body: failhop's safe page
	labelRoute = "/items/{id}/label" // panics
)

// Run checks newRouter's middleware. param is how the router writes a
// path parameter: "{id}" (chi, gorilla/mux) or ":id" (gin, echo).
// Routers that recover panics themselves must be given without their
// recovery (instrument.Handler records the panic): their own tests say
// what happens with it.
func Run(t *testing.T, param string, newRouter NewRouter) {
	tmpl := func(route string) string { return strings.ReplaceAll(route, "{id}", param) }
	routes := []Route{
		{tmpl(itemRoute), func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"id":7}`) }},
		{tmpl(stockRoute), func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) }},
		{tmpl(labelRoute), func(w http.ResponseWriter, r *http.Request) { panic("assignment to entry in nil map") }},
	}
	router := newRouter(routes)
	t.Run("matched route", func(t *testing.T) {
		rec := NewRecorder(t)
		rec.Serve(router, "/items/7")
		rec.CheckServer(t, "GET "+tmpl(itemRoute), tmpl(itemRoute), Marks{})
		if got := rec.MetricRoutes(t); len(got) != 1 || got[0] != tmpl(itemRoute) {
			t.Errorf("http.server.request.duration's http.route: %q, want [%q]", got, tmpl(itemRoute))
		}
	})
	t.Run("500 keeps the marks", func(t *testing.T) {
		rec := NewRecorder(t)
		w := rec.Serve(router, "/items/7/stock")
		span := rec.CheckServer(t, "GET "+tmpl(stockRoute), tmpl(stockRoute), Marks{Origin: true, Cause: vocab.CauseAppError, ErrorType: "500"})
		CheckSafePage(t, w, span)
	})
	t.Run("panic keeps the marks", func(t *testing.T) {
		rec := NewRecorder(t)
		w := rec.Serve(router, "/items/13/label")
		span := rec.CheckServer(t, "GET "+tmpl(labelRoute), tmpl(labelRoute), Marks{Origin: true, Cause: vocab.CausePanic, ErrorType: "panic"})
		CheckSafePage(t, w, span)
	})
	t.Run("unmatched path", func(t *testing.T) {
		rec := NewRecorder(t)
		if w := rec.Serve(router, "/nothing/here"); w.Code != http.StatusNotFound {
			t.Errorf("status %d, want 404", w.Code)
		}
		span := rec.CheckServer(t, "GET", "", Marks{})
		if span.Status().Code == codes.Error {
			t.Errorf("a 404 is an error on the server span: %v", span.Status())
		}
		if got := rec.MetricRoutes(t); len(got) != 1 || got[0] != "" {
			t.Errorf("http.server.request.duration's http.route: %q, want none", got)
		}
	})
	t.Run("a thousand ids make one name", func(t *testing.T) {
		rec := NewRecorder(t)
		for id := range 1000 {
			rec.Serve(router, fmt.Sprintf("/items/%d", id))
		}
		names := map[string]int{}
		for _, s := range rec.spans.Ended() {
			names[s.Name()]++
		}
		if len(names) != 1 || names["GET "+tmpl(itemRoute)] != 1000 {
			t.Errorf("span names %v, want one: %q", names, "GET "+tmpl(itemRoute))
		}
		if got := rec.MetricRoutes(t); len(got) != 1 {
			t.Errorf("http.route of http.server.request.duration's series: %q, want one", got)
		}
	})
}

// Recorder is a tracer and meter provider whose spans and metrics a test
// reads, and the Handler options that use them.
type Recorder struct {
	spans   *tracetest.SpanRecorder
	metrics *sdkmetric.ManualReader
	Options []instrument.Option
}

// NewRecorder returns a Recorder for t.
func NewRecorder(t testing.TB) *Recorder {
	sr, reader := tracetest.NewSpanRecorder(), sdkmetric.NewManualReader()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
	return &Recorder{spans: sr, metrics: reader, Options: []instrument.Option{
		instrument.WithTracerProvider(tp),
		instrument.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))),
		instrument.WithPropagators(propagation.TraceContext{}),
		instrument.WithPublicEdge(),
	}}
}

// Serve sends GET path to router, served by instrument.Handler with the
// recorder's options (a public edge), and returns the answer.
func (rec *Recorder) Serve(router http.Handler, path string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	instrument.Handler(router, "inventory", rec.Options...).ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	return w
}

// Marks are the failhop marks a server span must have; zero values mean
// absent.
type Marks struct {
	Origin    bool
	Cause     vocab.Cause
	ErrorType string
}

// CheckServer checks the only server span: its name, its http.route (""
// for none) and its marks. It returns the span.
func (rec *Recorder) CheckServer(t testing.TB, name, route string, want Marks) sdktrace.ReadOnlySpan {
	t.Helper()
	var server []sdktrace.ReadOnlySpan
	for _, s := range rec.spans.Ended() {
		if s.SpanKind() == trace.SpanKindServer {
			server = append(server, s)
		}
	}
	if len(server) != 1 {
		t.Fatalf("%d server spans, want 1", len(server))
	}
	span := server[0]
	a := map[attribute.Key]attribute.Value{}
	for _, kv := range span.Attributes() {
		a[kv.Key] = kv.Value
	}
	if got, set := a["http.route"]; span.Name() != name || got.AsString() != route || set != (route != "") {
		t.Errorf("server span %q with http.route %q (set: %v), want %q with %q", span.Name(), got.AsString(), set, name, route)
	}
	got := Marks{Origin: a[vocab.KeyOrigin].AsBool(), Cause: vocab.Cause(a[vocab.KeyCause].AsString()), ErrorType: a["error.type"].AsString()}
	if got != want || a[vocab.KeyPropagated].AsBool() {
		t.Errorf("server span marks %+v (propagated: %v), want %+v", got, a[vocab.KeyPropagated].AsBool(), want)
	}
	return span
}

// CheckSafePage checks that w is failhop's safe 500 page for span's trace.
func CheckSafePage(t testing.TB, w *httptest.ResponseRecorder, span sdktrace.ReadOnlySpan) {
	t.Helper()
	body := w.Body.String()
	if w.Code != http.StatusInternalServerError || !strings.Contains(body, "<h1>Internal Server Error</h1>") ||
		!strings.Contains(body, span.SpanContext().TraceID().String()) || strings.Contains(body, "nil map") {
		t.Errorf("answer %d %q, want 500 with the safe page and the trace ID", w.Code, body)
	}
}

// MetricRoutes returns the http.route of each series of otelhttp's
// http.server.request.duration ("" where it has none).
func (rec *Recorder) MetricRoutes(t testing.TB) []string {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := rec.metrics.Collect(t.Context(), &rm); err != nil {
		t.Fatal(err)
	}
	var routes []string
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if h, ok := m.Data.(metricdata.Histogram[float64]); ok && m.Name == "http.server.request.duration" {
				for _, dp := range h.DataPoints {
					v, _ := dp.Attributes.Value("http.route")
					routes = append(routes, v.AsString())
				}
			}
		}
	}
	return routes
}
