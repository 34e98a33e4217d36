package tracelog_test

import (
	"context"
	"log/slog"
	"os"

	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/tracelog"
)

func ExampleNewHandler() {
	// Drop the time so the output is deterministic.
	noTime := func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	logger := slog.New(tracelog.NewHandler(
		slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: noTime}),
	))

	// In a service the span comes from instrumentation (otelhttp, a tracer's
	// Start, ...). Here a fixed span context stands in for it.
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    tid,
		SpanID:     sid,
		TraceFlags: trace.FlagsSampled,
	}))

	logger.InfoContext(ctx, "charged card", "amount", 42)
	logger.WithGroup("db").InfoContext(ctx, "query", "rows", 3)
	logger.InfoContext(context.Background(), "no span here")
	// Output:
	// level=INFO msg="charged card" trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7 amount=42
	// level=INFO msg=query trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7 db.rows=3
	// level=INFO msg="no span here"
}
