package instrument

import (
	"net/http"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of the spans and metrics failhop
// creates itself (the SQL spans and pool metrics). HTTP spans keep otelhttp's
// scope, since otelhttp creates them.
const ScopeName = "github.com/failhop/failhop/instrument"

// Option configures [Handler], [Transport], [OpenDB] and [WrapConnector].
// Options that do not apply to a wrapper are ignored by it.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	tracerProvider trace.TracerProvider
	meterProvider  metric.MeterProvider
	propagators    propagation.TextMapPropagator
	filters        []func(*http.Request) bool
	publicEdge     bool
	dbSystem       string
	peerService    string
}

func newConfig(opts []Option) *config {
	c := &config{}
	for _, o := range opts {
		o.apply(c)
	}
	if c.tracerProvider == nil {
		c.tracerProvider = otel.GetTracerProvider()
	}
	if c.meterProvider == nil {
		c.meterProvider = otel.GetMeterProvider()
	}
	if c.propagators == nil {
		c.propagators = otel.GetTextMapPropagator()
	}
	return c
}

// WithTracerProvider sets the tracer provider spans are created with. The
// default is the global provider, as set by exporters.Setup.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(c *config) { c.tracerProvider = tp })
}

// WithMeterProvider sets the meter provider for HTTP and connection-pool
// metrics. The default is the global provider.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c *config) { c.meterProvider = mp })
}

// WithPropagators sets the propagators that read and write trace context on
// HTTP headers. The default is the global propagator.
func WithPropagators(p propagation.TextMapPropagator) Option {
	return optionFunc(func(c *config) { c.propagators = p })
}

// WithFilter skips tracing of the HTTP requests for which f returns false
// (health checks, for example). Several filters may be given; a request is
// traced only if all of them return true. Handler and Transport only.
func WithFilter(f func(*http.Request) bool) Option {
	return optionFunc(func(c *config) { c.filters = append(c.filters, f) })
}

// WithPublicEdge marks a Handler as facing the public: every 5xx body is
// replaced by the safe error page (the handler's own text may hold internals),
// and failhop's internal response headers are removed, including any copied
// from a downstream response. The trace reference header stays so that users
// can quote it. Handler only.
func WithPublicEdge() Option {
	return optionFunc(func(c *config) { c.publicEdge = true })
}

// WithDBSystem sets db.system.name on SQL spans, using the well-known names of
// the semantic conventions ("postgresql", "sqlite", "mysql"...). Without it,
// the name is guessed from the driver name given to OpenDB and left out by
// WrapConnector. OpenDB and WrapConnector only.
func WithDBSystem(name string) Option {
	return optionFunc(func(c *config) { c.dbSystem = name })
}

// WithPeerService names the service a Transport calls, as
// service.peer.name on its client spans. When the call gets no answer there
// is no server span to say who was called, so without it the failing hop is
// named by host and port only. Transport only.
func WithPeerService(name string) Option {
	return optionFunc(func(c *config) { c.peerService = name })
}
