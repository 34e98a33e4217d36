package instrument

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// The benchmarks compare failhop with bare otelhttp and with no
// instrumentation (the floor), on the success path, with the same SDK and
// sampler (always on, no exporter: the figures are the instrumentation's own
// cost). Sub-benchmark names carry lib=..., for `benchstat -col /lib`.
// scripts/bench.sh runs them; docs/performance.md has the figures.

func benchTracerProvider(b *testing.B) *sdktrace.TracerProvider {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
	b.Cleanup(func() { _ = tp.Shutdown(b.Context()) })
	return tp
}

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"id":7,"stock":3}`)
})

func BenchmarkHandler(b *testing.B) {
	tp := benchTracerProvider(b)
	prop := propagation.TraceContext{}
	libs := []struct {
		name    string
		handler http.Handler
	}{
		{"bare", okHandler},
		{"otelhttp", otelhttp.NewHandler(okHandler, "bench", otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(prop))},
		{"failhop", Handler(okHandler, "bench", WithTracerProvider(tp), WithPropagators(prop))},
	}
	for _, lib := range libs {
		b.Run("lib="+lib.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/items/7", nil)
			b.ReportAllocs()
			for b.Loop() {
				lib.handler.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}

// handlerTransport answers requests in memory with an http.Handler, so that
// the transport benchmark measures instrumentation, not the network.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, req)
	return rec.Result(), nil
}

func BenchmarkTransport(b *testing.B) {
	tp := benchTracerProvider(b)
	prop := propagation.TraceContext{}
	base := handlerTransport{okHandler}
	libs := []struct {
		name      string
		transport http.RoundTripper
	}{
		{"bare", base},
		{"otelhttp", otelhttp.NewTransport(base, otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(prop))},
		{"failhop", Transport(base, WithTracerProvider(tp), WithPropagators(prop))},
	}
	for _, lib := range libs {
		b.Run("lib="+lib.name, func(b *testing.B) {
			client := &http.Client{Transport: lib.transport}
			b.ReportAllocs()
			for b.Loop() {
				resp, err := client.Get("http://inventory.internal/items/7")
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}
