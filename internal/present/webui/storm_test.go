package webui

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/internal/devstack/jaegertest"
	"github.com/failhop/failhop/jaeger"
)

// TestFrontPageStorm loads the front page 200 and then 400 times at once
// over a real Jaeger that holds 1,200 traces: every load answers 200 and
// none says Jaeger cannot be read while it is up (the loads share one
// search of Jaeger, and reuse it for a few seconds), and a trace page
// loaded right after the storm answers.
func TestFrontPageStorm(t *testing.T) {
	j := jaegertest.StartJaeger(t)
	exp, err := otlptracegrpc.New(t.Context(), otlptracegrpc.WithEndpoint(j.OTLPGRPCEndpoint), otlptracegrpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp),
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName("shop"))))
	tracer := tp.Tracer("storm")
	const traces = 1200
	var last string
	for i := range traces {
		ctx, root := tracer.Start(context.Background(), "GET /checkout", trace.WithSpanKind(trace.SpanKindServer))
		_, call := tracer.Start(ctx, "SELECT stock", trace.WithSpanKind(trace.SpanKindClient))
		if i%3 == 0 {
			call.SetStatus(codes.Error, "relation does not exist")
			root.SetStatus(codes.Error, "")
		}
		call.End()
		root.End()
		last = root.SpanContext().TraceID().String()
	}
	if err := tp.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	client := jaeger.New(j.QueryURL)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if _, err := client.WaitForTrace(ctx, last, 500*time.Millisecond, nil); err != nil {
		t.Fatal(err)
	}

	page := httptest.NewServer(New(client, j.QueryURL, nil).Handler())
	defer page.Close()
	for _, loads := range []int{200, 400} {
		var wg sync.WaitGroup
		problems := make(chan string, loads)
		for range loads {
			wg.Go(func() {
				code, body := load(page.URL + "/?since=1h")
				if code != http.StatusOK || strings.Contains(body, "cannot be read") || !strings.Contains(body, "GET /checkout") && !strings.Contains(body, "shop") {
					problems <- fmt.Sprintf("%d %.200s", code, body)
				}
			})
		}
		wg.Wait()
		close(problems)
		n := 0
		for p := range problems {
			if n++; n <= 3 {
				t.Errorf("%d concurrent loads: %s", loads, p)
			}
		}
		if n > 0 {
			t.Errorf("%d concurrent loads: %d went wrong", loads, n)
		}
		if code, body := load(page.URL + "/trace/" + last); code != http.StatusOK {
			t.Errorf("the trace page after %d loads: %d %.200s", loads, code, body)
		}
	}
}

// load GETs url as a browser would, and returns the status and body.
func load(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
