package webui

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/internal/devstack/jaegertest"
	"github.com/failhop/failhop/jaeger"
)

// TestUnitsOfWork: a request publishes a message and answers 202; the
// message's consumer, in another service, fails later. The front page
// counts the failed unit of work and groups it by its hop; the trace page
// says the request succeeded and shows the failed unit.
func TestUnitsOfWork(t *testing.T) {
	j := jaegertest.StartJaeger(t)
	h := New(jaeger.New(j.QueryURL), "", nil).Handler()
	front, fulfil := provider(t, j, "front"), provider(t, j, "fulfil")
	ctx, root := front.Tracer("t").Start(context.Background(), "POST /orders", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(semconv.HTTPResponseStatusCode(202)))
	ctx, publish := front.Tracer("t").Start(ctx, "publish orders", trace.WithSpanKind(trace.SpanKindProducer))
	publish.End()
	root.End()
	_, consume := fulfil.Tracer("t").Start(ctx, "orders process", trace.WithSpanKind(trace.SpanKindConsumer))
	consume.SetStatus(codes.Error, "item 13 is out of stock in every warehouse")
	consume.End()
	traceID := root.SpanContext().TraceID().String()
	wait, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if _, err := jaeger.New(j.QueryURL).WaitForTrace(wait, traceID, 500*time.Millisecond, nil); err != nil {
		t.Fatal(err)
	}

	code, _, body := get(t, h, "/?since=5m&service=fulfil")
	for _, want := range []string{"0 failed requests and 1 failed units of work", "front → fulfil orders process", "/trace/" + traceID} {
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("front page (%d) lacks %q:\n%s", code, want, body)
		}
	}
	code, _, body = get(t, h, "/trace/"+traceID)
	for _, want := range []string{"succeeded", "Unit of work fulfil orders process: <strong>FAILED</strong>", "item 13 is out of stock in every warehouse"} {
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("trace page (%d) lacks %q:\n%s", code, want, body)
		}
	}
}
