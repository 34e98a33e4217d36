package exporters

import (
	"io"
	"log/slog"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Option configures [Setup].
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	serviceName    string
	serviceVersion string
	environment    string
	logger         *slog.Logger
	exporter       sdktrace.SpanExporter
	sdkExporter    bool

	// Not settable by users; tests change them.
	logInterval   time.Duration
	earlyInterval time.Duration // exportOnError's least time between exports
	stdout        io.Writer
}

// WithServiceName sets the service.name resource attribute, the name under
// which the service's traces are found. OTEL_SERVICE_NAME and service.name in
// OTEL_RESOURCE_ATTRIBUTES override it.
func WithServiceName(name string) Option {
	return optionFunc(func(c *config) { c.serviceName = name })
}

// WithServiceVersion sets the service.version resource attribute, typically
// the build's version, so traces can be compared across releases.
// OTEL_RESOURCE_ATTRIBUTES overrides it.
func WithServiceVersion(version string) Option {
	return optionFunc(func(c *config) { c.serviceVersion = version })
}

// WithEnvironment sets the deployment.environment.name resource attribute
// ("production", "staging", ...), so traces from different deployments of the
// same service can be told apart. OTEL_RESOURCE_ATTRIBUTES overrides it.
func WithEnvironment(env string) Option {
	return optionFunc(func(c *config) { c.environment = env })
}

// WithLogger sets the logger used to report export failures and
// configuration warnings. The default is [slog.Default] at the time Setup is
// called. A nil logger selects the default.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) { c.logger = l })
}

// WithExporter makes Setup export spans to e instead of the exporter selected
// by OTEL_TRACES_EXPORTER and the OTLP protocol variables, which are then
// ignored. It is meant for tests (with an in-memory exporter) and for
// programs that need an exporter configured in code. The exporter still goes
// behind the bounded batch span processor and the failure logging, and is
// shut down by the shutdown function returned by Setup. A nil exporter is
// ignored.
func WithExporter(e sdktrace.SpanExporter) Option {
	return optionFunc(func(c *config) { c.exporter = e })
}

// WithSDKExporter makes Setup export OTLP with the OpenTelemetry Go SDK's
// own exporters (otlptracegrpc, otlptracehttp) rather than failhop's,
// which reads the same OTEL_EXPORTER_OTLP_* variables and sends the same
// data for about half the CPU (docs/performance.md). It is there for
// a setting only the SDK's exporters know, or to compare the two.
func WithSDKExporter() Option {
	return optionFunc(func(c *config) { c.sdkExporter = true })
}
