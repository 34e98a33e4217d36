package exporters

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// Setup configures tracing for the process and installs it globally (see
// [otel.SetTracerProvider] and [otel.SetTextMapPropagator]), so that
// instrumentation libraries pick it up without further wiring. The package
// documentation lists the environment variables it honours.
//
// Setup returns an error, and changes no global, when the configuration is
// invalid: an unknown OTLP protocol, exporter or propagator. It does not
// connect to the collector, so an unreachable collector never makes it fail
// or block.
//
// Call shutdown before the process exits to deliver the spans still queued.
// It waits at most until ctx is done and returns an error when spans could
// not be delivered (collector unreachable, deadline reached). Only the first
// call does anything.
func Setup(ctx context.Context, opts ...Option) (shutdown func(context.Context) error, err error) {
	cfg := newConfig(opts)
	prop, err := propagator()
	if err != nil {
		return nil, err
	}
	if sdkDisabled() {
		otel.SetTextMapPropagator(prop)
		cfg.logger.DebugContext(ctx, "failhop: tracing disabled by "+envSDKDisabled)
		return func(context.Context) error { return nil }, nil
	}

	// Validate all the configuration before creating anything.
	earlyExport, err := exportOnErrorEnabled()
	if err != nil {
		return nil, err
	}
	plan, err := readExporterPlan(cfg)
	if err != nil {
		return nil, err
	}

	res, err := newResource(ctx, cfg)
	if err != nil {
		// Partial detection (a malformed OTEL_RESOURCE_ATTRIBUTES, an
		// unreadable host name) must not stop the service; res holds
		// what could be detected.
		cfg.logger.WarnContext(ctx, "failhop: incomplete trace resource", slog.Any("error", err))
	}
	exps, err := createExporters(ctx, cfg, plan)
	if err != nil {
		return nil, err
	}
	tp, logged := newTracerProvider(cfg, res, exps, earlyExport)

	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(prop)
	cfg.logger.DebugContext(ctx, "failhop: tracing configured",
		slog.Any("exporters", plan.names), slog.String("protocol", plan.protocol))

	return func(ctx context.Context) error { return shutdownProvider(ctx, tp, logged) }, nil
}

// newConfig applies the options over the defaults.
func newConfig(opts []Option) config {
	cfg := config{logInterval: defaultLogInterval, earlyInterval: minEarlyInterval, stdout: os.Stdout}
	for _, o := range opts {
		o.apply(&cfg)
	}
	if cfg.logger == nil {
		cfg.logger = slog.Default()
	}
	return cfg
}

// exporterPlan is what the environment asks Setup to export to.
type exporterPlan struct {
	names    []string     // OTEL_TRACES_EXPORTER; none when WithExporter is given
	protocol string       // the OTLP protocol, when names has otlp
	otlp     otlpSettings // the OTLP settings, when names has otlp and no SDK exporter reads them itself
}

// readExporterPlan reads and checks the exporters the environment names,
// creating nothing.
func readExporterPlan(cfg config) (exporterPlan, error) {
	var plan exporterPlan
	if cfg.exporter != nil {
		return plan, nil
	}
	var err error
	if plan.names, err = tracesExporters(); err != nil {
		return plan, err
	}
	for _, n := range plan.names {
		if n != exporterOTLP {
			continue
		}
		if plan.protocol, err = otlpProtocol(); err != nil {
			return plan, err
		}
		if !cfg.sdkExporter {
			if plan.otlp, err = readOTLPSettings(plan.protocol); err != nil {
				return plan, err
			}
		}
	}
	return plan, nil
}

// createExporters returns the exporter given by WithExporter and those the
// plan names; on an error it shuts down the ones it created.
func createExporters(ctx context.Context, cfg config, plan exporterPlan) ([]sdktrace.SpanExporter, error) {
	var exps []sdktrace.SpanExporter
	if cfg.exporter != nil {
		exps = append(exps, cfg.exporter)
	}
	for _, n := range plan.names {
		e, err := newExporter(ctx, n, plan.protocol, cfg.sdkExporter, plan.otlp, cfg.stdout)
		if err != nil {
			for _, e := range exps {
				_ = e.Shutdown(ctx)
			}
			return nil, fmt.Errorf("exporters: create %s exporter: %w", n, err)
		}
		exps = append(exps, e)
	}
	return exps, nil
}

// newTracerProvider returns a provider that sends spans to each exporter
// through a logging wrapper and a bounded batch processor, and those
// wrappers.
func newTracerProvider(cfg config, res *resource.Resource, exps []sdktrace.SpanExporter, earlyExport bool) (*sdktrace.TracerProvider, []*loggingExporter) {
	tpOpts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	var logged []*loggingExporter
	queueSize := envInt(envBSPMaxQueueSize, sdktrace.DefaultMaxQueueSize)
	for _, e := range exps {
		le := newLoggingExporter(e, cfg.logger, cfg.logInterval)
		logged = append(logged, le)
		// The processor reads the other OTEL_BSP_* itself; its queue is
		// bounded and spans that do not fit are dropped rather than
		// block, counted by queueLimit.
		bsp := sdktrace.NewBatchSpanProcessor(le, sdktrace.WithMaxQueueSize(queueSize))
		var sp sdktrace.SpanProcessor = &queueLimit{SpanProcessor: bsp, log: le, capacity: int64(queueSize)}
		if earlyExport {
			// A failed request's spans are exported when it ends, not
			// at the next schedule (exportOnError).
			sp = newExportOnError(sp, cfg.earlyInterval)
		}
		tpOpts = append(tpOpts, sdktrace.WithSpanProcessor(sp))
	}
	// No WithSampler: the provider then reads OTEL_TRACES_SAMPLER(_ARG).
	return sdktrace.NewTracerProvider(tpOpts...), logged
}

// shutdownProvider flushes and shuts tp down, returning at the latest when
// ctx is done.
func shutdownProvider(ctx context.Context, tp *sdktrace.TracerProvider, logged []*loggingExporter) error {
	failuresBefore := totalFailures(logged)

	// TracerProvider.Shutdown gives up before shutting its processors down
	// when its context is already done, which would leak the batch
	// processor's goroutine and the exporter's connection. So run it without
	// cancellation in the background (it is bounded by the export timeouts)
	// and stop waiting for it when ctx is done.
	done := make(chan error, 1)
	go func() { done <- tp.Shutdown(context.WithoutCancel(ctx)) }()

	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		return fmt.Errorf("exporters: shutdown: spans not flushed: %w", context.Cause(ctx))
	}
	if failed := totalFailures(logged) - failuresBefore; failed > 0 {
		err = errors.Join(err, fmt.Errorf("%d span export(s) failed while flushing", failed))
	}
	if err != nil {
		return fmt.Errorf("exporters: shutdown: %w", err)
	}
	return nil
}

func totalFailures(logged []*loggingExporter) int64 {
	var n int64
	for _, l := range logged {
		n += l.total.Load()
	}
	return n
}

// newExporter creates the exporter called name: for OTLP, failhop's
// (otlpExporter), or with sdkExporter the SDK's. Both read their endpoint,
// headers, TLS, compression and timeout settings from the environment.
// None connects here: gRPC dials lazily, HTTP per request.
func newExporter(ctx context.Context, name, protocol string, sdkExporter bool, otlp otlpSettings, stdout io.Writer) (sdktrace.SpanExporter, error) {
	switch {
	case name == exporterConsole:
		return stdouttrace.New(stdouttrace.WithWriter(stdout))
	case !sdkExporter:
		return newOTLPExporter(protocol, otlp)
	case protocol == protocolHTTPProtobuf:
		return otlptracehttp.New(ctx)
	default:
		return otlptracegrpc.New(ctx)
	}
}

// newResource describes this process. Later sources override earlier ones:
// detected attributes, then the options, then OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES. All sources use the semconv v1.43.0 schema (as
// does the SDK's own detection), so the merge has no schema URL conflict.
func newResource(ctx context.Context, cfg config) (*resource.Resource, error) {
	name := cfg.serviceName
	if name == "" {
		// The SDK's convention when no name is configured.
		name = "unknown_service:" + filepath.Base(os.Args[0])
	}
	attrs := []attribute.KeyValue{semconv.ServiceName(name)}
	if cfg.serviceVersion != "" {
		attrs = append(attrs, semconv.ServiceVersion(cfg.serviceVersion))
	}
	if cfg.environment != "" {
		attrs = append(attrs, semconv.DeploymentEnvironmentNameKey.String(cfg.environment))
	}
	return resource.New(ctx,
		resource.WithSchemaURL(semconv.SchemaURL),
		resource.WithTelemetrySDK(),
		resource.WithHost(),
		resource.WithOSType(),
		// Not WithProcess: process.command_args and the owner can carry
		// secrets or personal data and are rarely useful in a trace.
		resource.WithProcessPID(),
		resource.WithProcessExecutableName(),
		resource.WithProcessRuntimeName(),
		resource.WithProcessRuntimeVersion(),
		resource.WithAttributes(attrs...),
		resource.WithFromEnv(),
	)
}
