package instrument

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/vocab"
)

// router stands in for a router of another library: it hands its
// handler a request with a context of its own, as chi and gin do, and
// names the route from a middleware, before the handler (as gorilla/mux,
// gin and echo can) or after it (as chi must, its pattern being complete
// only once it has routed).
type router struct {
	template string
	after    bool
	handler  http.HandlerFunc
}

type routerKey struct{}

func (rt router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r = r.WithContext(context.WithValue(r.Context(), routerKey{}, rt.template))
	if rt.after {
		defer SetRoute(r, rt.template) // deferred: a panicking handler's route is set too
	} else {
		SetRoute(r, rt.template)
	}
	rt.handler(w, r)
}

// routeMetrics returns the http.route of every data point of otelhttp's
// http.server.request.duration that reader collected ("" for none).
func routeMetrics(t *testing.T, reader *sdkmetric.ManualReader) []string {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(t.Context(), &rm); err != nil {
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

func TestSetRoute(t *testing.T) {
	ok := func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }
	mounted := http.NewServeMux() // a router mounted on a ServeMux, whose pattern otelhttp reads at the end
	mounted.Handle("/api/", router{template: "/api/items/{id}", handler: ok})
	tests := []struct {
		name      string
		handler   http.Handler
		method    string
		wantName  string
		wantRoute string
	}{
		{"named before the handler", router{template: "/items/{id}", handler: ok}, "GET", "GET /items/{id}", "/items/{id}"},
		{"named after the handler", router{template: "/items/{id}", after: true, handler: ok}, "GET", "GET /items/{id}", "/items/{id}"},
		{"gin's and echo's templates", router{template: "/items/:id", handler: ok}, "DELETE", "DELETE /items/:id", "/items/:id"},
		{"an unknown method is HTTP", router{template: "/items/{id}", handler: ok}, "PURGE", "HTTP /items/{id}", "/items/{id}"},
		{"no template changes nothing", router{handler: ok}, "GET", "GET", ""},
		{"mounted on a ServeMux", mounted, "GET", "GET /api/items/{id}", "/api/items/{id}"},
		{"under a child span", router{template: "/items/{id}", handler: func(w http.ResponseWriter, r *http.Request) {
			ctx, span := trace.SpanFromContext(r.Context()).TracerProvider().Tracer("test").Start(r.Context(), "render")
			defer span.End()
			SetRoute(r.WithContext(ctx), "/items/{id}")
		}}, "GET", "GET /items/{id}", "/items/{id}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t)
			reader := sdkmetric.NewManualReader()
			h := Handler(tt.handler, "inventory", rec.options(WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))))...)
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(tt.method, "/api/items/7", nil))
			span := rec.span(t, trace.SpanKindServer)
			route, hasRoute := attrs(span)["http.route"]
			if span.Name() != tt.wantName || route.AsString() != tt.wantRoute || hasRoute != (tt.wantRoute != "") {
				t.Errorf("span %q with http.route %q (set: %v), want %q with %q", span.Name(), route.AsString(), hasRoute, tt.wantName, tt.wantRoute)
			}
			if got := routeMetrics(t, reader); len(got) != 1 || got[0] != tt.wantRoute {
				t.Errorf("http.server.request.duration's http.route: %q, want [%q]", got, tt.wantRoute)
			}
		})
	}
}

// A failure keeps its marks with the route, and a panic in a handler
// whose router names the route only after it still gets the route.
func TestSetRouteKeepsTheMarks(t *testing.T) {
	for name, h := range map[string]http.HandlerFunc{
		"500":   func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) },
		"panic": func(w http.ResponseWriter, r *http.Request) { panic("nil map") },
	} {
		t.Run(name, func(t *testing.T) {
			rec := newRecorder(t)
			w := httptest.NewRecorder()
			Handler(router{template: "/items/{id}", after: true, handler: h}, "inventory", rec.options(WithPublicEdge())...).
				ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/items/7", nil))
			span := rec.span(t, trace.SpanKindServer)
			if span.Name() != "GET /items/{id}" || attrs(span)["http.route"].AsString() != "/items/{id}" {
				t.Errorf("span %q, http.route %q; want the route", span.Name(), attrs(span)["http.route"].AsString())
			}
			cause, errorType := vocab.CauseAppError, "500"
			if name == "panic" {
				cause, errorType = vocab.CausePanic, "panic"
			}
			checkMarks(t, span, marks{origin: true, cause: cause, errorType: errorType})
			if w.Code != http.StatusInternalServerError || !containsAll(w.Body.String(), "<h1>Internal Server Error</h1>", span.SpanContext().TraceID().String()) {
				t.Errorf("answer %d %q, want 500 with the safe page", w.Code, w.Body.String())
			}
		})
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// Under a bare otelhttp handler, SetRoute names otelhttp's span and gives
// its metrics the route; outside any, it does nothing.
func TestSetRouteOutsideHandler(t *testing.T) {
	rec := newRecorder(t)
	reader := sdkmetric.NewManualReader()
	h := otelhttp.NewHandler(router{template: "/items/{id}", handler: func(http.ResponseWriter, *http.Request) {}}, "inventory",
		otelhttp.WithTracerProvider(rec.tp), otelhttp.WithPropagators(propagation.TraceContext{}),
		otelhttp.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/items/7", nil))
	if span := rec.span(t, trace.SpanKindServer); span.Name() != "GET /items/{id}" || attrs(span)["http.route"] != attribute.StringValue("/items/{id}") {
		t.Errorf("otelhttp's span %q, attributes %v; want it named by the route", span.Name(), span.Attributes())
	}
	if got := routeMetrics(t, reader); len(got) != 1 || got[0] != "/items/{id}" {
		t.Errorf("http.server.request.duration's http.route: %q, want [/items/{id}]", got)
	}

	SetRoute(httptest.NewRequest(http.MethodGet, "/items/7", nil), "/items/{id}") // no span, no Labeler: no effect, no panic
}
