package pipelinetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/analyzer"
)

// TestOtelHTTPSurvived runs Go services on otelhttp alone (no failhop
// marks: the server and client spans otelhttp makes, and a manual span
// around a cache read) against the shipped single-node config, on two
// shapes of docs/cli.md's "Failures the request survived": an optional
// call that fails before the essential one does, and a cache read that
// times out before the handler fails on its own.
//
// What otelhttp writes: a server span per request, status Error for a 5xx
// answer (with no description); a client span per call, status Error for
// a 5xx answer or an error (the error's text as its description).
func TestOtelHTTPSurvived(t *testing.T) {
	p := startAppPipeline(t)
	recs := p.goService(t, "recs", func(c *http.Client, mux *http.ServeMux) {
		mux.HandleFunc("GET /suggestions", fail("recs: model not loaded"))
	})
	payments := p.goService(t, "payments", func(c *http.Client, mux *http.ServeMux) {
		mux.HandleFunc("POST /charge", fail("ledger: account 7 is locked"))
	})
	cache := p.goService(t, "cache", func(c *http.Client, mux *http.ServeMux) {
		mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(time.Second):
			case <-r.Context().Done():
			}
		})
	})
	catalog := p.goService(t, "catalog", func(c *http.Client, mux *http.ServeMux) {
		mux.HandleFunc("GET /price", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "1250") })
	})
	shop := p.goService(t, "shop", func(c *http.Client, mux *http.ServeMux) {
		// recs fails and is only logged; payments fails: 502.
		mux.HandleFunc("GET /optional-then-essential", func(w http.ResponseWriter, r *http.Request) {
			if status := send(r.Context(), c, "GET", recs+"/suggestions"); status != http.StatusOK {
				t.Logf("shop: recs answered %d: no suggestions", status)
			}
			send(r.Context(), c, "POST", payments+"/charge")
			w.WriteHeader(http.StatusBadGateway)
		})
		// The cache read times out; the catalog read replaces it; the
		// handler then fails on its own: 500.
		mux.HandleFunc("GET /cache-then-own-failure", func(w http.ResponseWriter, r *http.Request) {
			ctx, span := trace.SpanFromContext(r.Context()).TracerProvider().Tracer("shop").Start(r.Context(), "cache get")
			cacheCtx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			send(cacheCtx, c, "GET", cache+"/slow")
			cancel()
			span.End()
			send(r.Context(), c, "GET", catalog+"/price")
			err := errors.New("no discount rule for item 42")
			server := trace.SpanFromContext(r.Context())
			server.RecordError(err)
			server.SetStatus(codes.Error, err.Error())
			w.WriteHeader(http.StatusInternalServerError)
		})
	})

	for _, c := range []struct {
		route    string
		status   int
		marked   []string // the services of the spans marked failhop.root_cause=true
		survived string   // a service among the errors the request survived (it failed, or was called)
	}{
		{route: "optional-then-essential", status: 502, marked: []string{"payments"}, survived: "recs"},
		{route: "cache-then-own-failure", status: 500, marked: []string{"shop"}, survived: "cache"},
	} {
		t.Run(c.route, func(t *testing.T) {
			since := time.Now()
			if got := get(t, shop+"/"+c.route); got != c.status {
				t.Fatalf("%s answered %d, want %d", c.route, got, c.status)
			}
			tr := p.findTrace(t, "shop", since, func(root *analyzer.Span) bool { return root.Attr("url.path") == "/"+c.route })
			p.save(t, tr.TraceID, "otelhttp-"+c.route)
			checkMarkedServices(t, tr, c.marked)
			checkSurvived(t, tr, c.survived)
		})
	}
}

// goService starts an HTTP service named name on otelhttp, with its own
// tracer provider sending to the pipeline, and returns its URL. routes
// adds its routes, given a client whose calls otelhttp traces.
func (p *appPipeline) goService(t *testing.T, name string, routes func(*http.Client, *http.ServeMux)) string {
	t.Helper()
	exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpoint(p.otlpHTTP), otlptracehttp.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(200*time.Millisecond)),
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName(name))),
	)
	prop := otelhttp.WithPropagators(propagation.TraceContext{})
	client := &http.Client{Transport: otelhttp.NewTransport(http.DefaultTransport, otelhttp.WithTracerProvider(tp), prop)}
	mux := http.NewServeMux()
	routes(client, mux)
	srv := httptest.NewServer(otelhttp.NewHandler(mux, name, otelhttp.WithTracerProvider(tp), prop))
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tp.Shutdown(ctx)
	})
	return srv.URL
}

// fail is a handler that records err on the server span and answers 500.
func fail(err string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		span := trace.SpanFromContext(r.Context())
		span.RecordError(errors.New(err))
		span.SetStatus(codes.Error, err)
		w.WriteHeader(http.StatusInternalServerError)
	}
}

// send makes a call and returns the status it got, 0 if it got none.
func send(ctx context.Context, c *http.Client, method, url string) int {
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		panic(fmt.Sprintf("send %s %s: %v", method, url, err))
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
