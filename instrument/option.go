package instrument

import (
	"net/http"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/instrument/internal/request"
)

// ScopeName is the instrumentation scope of the spans and metrics failhop
// creates itself (the SQL spans and pool metrics). HTTP spans keep otelhttp's
// scope, since otelhttp creates them.
const ScopeName = "github.com/failhop/failhop/instrument"

// Option configures [Handler], [Transport], [OpenDB] and [WrapConnector],
// and the gRPC wrappers of package instrumentgrpc. Options that do not
// apply to a wrapper are ignored by it.
type Option = request.Option

// WithTracerProvider sets the tracer provider spans are created with. The
// default is the global provider, as set by exporters.Setup.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return request.OptionFunc(func(c *request.Config) { c.TracerProvider = tp })
}

// WithMeterProvider sets the meter provider for HTTP and connection-pool
// metrics. The default is the global provider.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return request.OptionFunc(func(c *request.Config) { c.MeterProvider = mp })
}

// WithPropagators sets the propagators that read and write trace context on
// HTTP headers. The default is the global propagator.
func WithPropagators(p propagation.TextMapPropagator) Option {
	return request.OptionFunc(func(c *request.Config) { c.Propagators = p })
}

// WithFilter skips tracing of the HTTP requests for which f returns false
// (health checks, for example). Several filters may be given; a request is
// traced only if all of them return true. Handler and Transport only.
func WithFilter(f func(*http.Request) bool) Option {
	return request.OptionFunc(func(c *request.Config) { c.Filters = append(c.Filters, f) })
}

// WithPublicEdge marks a Handler as facing the public: every 5xx body is
// replaced by the safe error page (the handler's own text may hold internals),
// and failhop's internal response headers are removed, including any copied
// from a downstream response. The trace reference header stays so that users
// can quote it. Handler only.
func WithPublicEdge() Option {
	return request.OptionFunc(func(c *request.Config) { c.PublicEdge = true })
}

// WithDBSystem sets db.system.name on SQL spans, using the well-known names of
// the semantic conventions ("postgresql", "sqlite", "mysql"...). Without it,
// the name is guessed from the driver name given to OpenDB and left out by
// WrapConnector. OpenDB and WrapConnector only.
func WithDBSystem(name string) Option {
	return request.OptionFunc(func(c *request.Config) { c.DBSystem = name })
}

// WithPeerService names the service a Transport calls, as
// service.peer.name on its client spans. When the call gets no answer there
// is no server span to say who was called, so without it the failing hop is
// named by host and port only. Transport only.
func WithPeerService(name string) Option {
	return request.OptionFunc(func(c *request.Config) { c.PeerService = name })
}

// WithURLTemplate gives a Transport the URL template of each call, such
// as "/reviews/{id}" for GET /reviews/42: it becomes the client span's
// url.template and its name ("GET /reviews/{id}"), and names the hop in
// failhop's answers when the call gets no answer. Without it, a Transport
// takes the path of the request's Pattern field when the caller set it
// (req.Pattern = "/reviews/{id}"); failing both, a call that got no answer
// is named by its method and peer alone, since its path holds IDs and one
// outage would otherwise become a group per ID. f returns "" when it does
// not know. Transport only.
func WithURLTemplate(f func(*http.Request) string) Option {
	return request.OptionFunc(func(c *request.Config) { c.URLTemplate = f })
}
