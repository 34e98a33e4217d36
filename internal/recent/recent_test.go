package recent_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/internal/devstack/jaegertest"
	"github.com/failhop/failhop/internal/recent"
	"github.com/failhop/failhop/jaeger"
)

// tracer returns a tracer of service that sends each span to endpoint
// (Jaeger's OTLP/gRPC receiver) as it ends.
func tracer(t *testing.T, endpoint, service string) trace.Tracer {
	t.Helper()
	exp, err := otlptracegrpc.New(t.Context(), otlptracegrpc.WithEndpoint(endpoint), otlptracegrpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", service))))
	t.Cleanup(func() {
		if err := tp.Shutdown(context.Background()); err != nil {
			t.Errorf("shutting down the tracer provider of %s: %v", service, err)
		}
	})
	return tp.Tracer("github.com/failhop/failhop/internal/recent_test")
}

// TestFailures sends two traces to a real Jaeger: one that fails in
// "back" under a call from "front", one that succeeds in "front". Asked
// of every service, the failed trace, which both services have, counts
// once.
func TestFailures(t *testing.T) {
	j := jaegertest.StartJaeger(t)
	front, back := tracer(t, j.OTLPGRPCEndpoint, "front"), tracer(t, j.OTLPGRPCEndpoint, "back")

	ctx, root := front.Start(t.Context(), "GET /checkout", trace.WithSpanKind(trace.SpanKindServer))
	_, server := back.Start(ctx, "POST /stock", trace.WithSpanKind(trace.SpanKindServer))
	server.RecordError(errors.New("out of stock table"))
	server.SetStatus(codes.Error, "out of stock table")
	server.End()
	root.SetStatus(codes.Error, "upstream failed")
	root.End()
	_, ok := front.Start(t.Context(), "GET /", trace.WithSpanKind(trace.SpanKindServer))
	ok.End()
	failed := root.SpanContext().TraceID().String()

	c := jaeger.New(j.QueryURL)
	for _, id := range []string{failed, ok.SpanContext().TraceID().String()} {
		if _, err := c.WaitForTrace(t.Context(), id, 500*time.Millisecond, nil); err != nil {
			t.Fatalf("WaitForTrace(%s): %v", id, err)
		}
	}
	for _, tc := range []struct {
		service        string
		traces, failed int
	}{{"", 2, 1}, {"front", 2, 1}, {"back", 1, 1}} {
		f, err := recent.Failures(t.Context(), c, jaeger.Query{Service: tc.service, Since: time.Hour, Limit: 20})
		if err != nil {
			t.Fatalf("service %q: %v", tc.service, err)
		}
		if f.Traces != tc.traces || f.Failed != tc.failed || len(f.Groups) != 1 || f.Groups[0].TraceIDs[0] != failed {
			t.Errorf("service %q: %d failed of %d traces, groups %+v; want %d of %d, one group with trace %s",
				tc.service, f.Failed, f.Traces, f.Groups, tc.failed, tc.traces, failed)
		}
	}
}

// TestFailuresJaegerDown: with no Jaeger, the error says so.
func TestFailuresJaegerDown(t *testing.T) {
	_, err := recent.Failures(t.Context(), jaeger.New("http://127.0.0.1:1"), jaeger.Query{})
	if !errors.Is(err, jaeger.ErrUnreachable) {
		t.Errorf("err = %v, want jaeger.ErrUnreachable", err)
	}
}
