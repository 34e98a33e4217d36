package exporters_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/failhop/failhop/exporters"
	"github.com/failhop/failhop/tracelog"
)

// A service's main: configure tracing from code and the environment, log
// with trace IDs, and flush on the way out.
func ExampleSetup() {
	ctx := context.Background()
	logger := slog.New(tracelog.NewHandler(slog.NewJSONHandler(os.Stderr, nil)))

	shutdown, err := exporters.Setup(ctx,
		exporters.WithServiceName("checkout"),
		exporters.WithServiceVersion("1.4.2"),
		exporters.WithEnvironment("production"),
		exporters.WithLogger(logger),
	)
	if err != nil {
		log.Fatal(err) // invalid OTEL_* configuration
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := shutdown(ctx); err != nil {
			logger.Error("flushing traces", "error", err)
		}
	}()

	ctx, span := otel.Tracer("checkout").Start(ctx, "charge card")
	defer span.End()
	logger.InfoContext(ctx, "charging") // carries trace_id and span_id
}

// Tests can capture spans in memory instead of running a collector.
func ExampleWithExporter() {
	exp := tracetest.NewInMemoryExporter()
	shutdown, err := exporters.Setup(context.Background(),
		exporters.WithServiceName("checkout"),
		exporters.WithExporter(exp),
	)
	if err != nil {
		log.Fatal(err)
	}

	_, span := otel.Tracer("test").Start(context.Background(), "charge card")
	span.End()

	// Flush without shutting down: the in-memory exporter forgets its
	// spans on shutdown.
	type flusher interface{ ForceFlush(context.Context) error }
	if err := otel.GetTracerProvider().(flusher).ForceFlush(context.Background()); err != nil {
		log.Fatal(err)
	}
	for _, s := range exp.GetSpans() {
		name, _ := s.Resource.Set().Value(semconv.ServiceNameKey)
		fmt.Println(s.Name, name.AsString())
	}
	_ = shutdown(context.Background())
	// Output: charge card checkout
}

// Export with the OpenTelemetry SDK's own OTLP exporters (otlptracegrpc,
// otlptracehttp) rather than failhop's: the same OTEL_EXPORTER_OTLP_*
// variables apply to both.
func ExampleWithSDKExporter() {
	ctx := context.Background()
	shutdown, err := exporters.Setup(ctx,
		exporters.WithServiceName("checkout"),
		exporters.WithSDKExporter(),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer shutdown(ctx)
}
