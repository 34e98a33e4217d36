package instrument

import (
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/instrument/internal/request"
)

// Handler wraps next with an otelhttp server span (named and attributed by
// the HTTP semantic conventions; operation is passed to otelhttp) and adds
// what otelhttp leaves out:
//
//   - a 5xx answer gets error.type and the failhop marks: origin when nothing
//     below failed, propagated (with the origin span) when a child span or a
//     downstream service failed;
//   - a panic is recovered and recorded with its stack, and answered with a
//     500 if nothing was written yet (http.ErrAbortHandler keeps its meaning);
//   - a 5xx without a body, and every panic, gets a safe error page (HTML or
//     JSON by Accept) showing only the trace ID to quote, also sent in the
//     Traceresponse header;
//   - 5xx answers tell the caller why in the Failhop-Error header, unless
//     the handler is the public edge (see [WithPublicEdge]).
//
// The request context carries a request-scoped record: spans made by
// [Transport], [OpenDB] and [RecordError] under it report their failures to
// it, which is how the server span knows whether it is the origin.
func Handler(next http.Handler, operation string, opts ...Option) http.Handler {
	c := request.NewConfig(opts)
	h := &handler{publicEdge: c.PublicEdge, next: next}
	h.traced = otelhttp.NewHandler(http.HandlerFunc(h.serve), operation, otelhttpOptions(c)...)
	return h
}

// otelhttpOptions translates the options otelhttp understands.
func otelhttpOptions(c *request.Config) []otelhttp.Option {
	opts := []otelhttp.Option{
		otelhttp.WithTracerProvider(c.TracerProvider),
		otelhttp.WithMeterProvider(c.MeterProvider),
		otelhttp.WithPropagators(c.Propagators),
	}
	for _, f := range c.Filters {
		opts = append(opts, otelhttp.WithFilter(f))
	}
	return opts
}

// handler is a Handler: the request's exchange is made in ServeHTTP, in
// front of otelhttp's handler (traced), and used in serve, which otelhttp
// calls inside the server span.
type handler struct {
	publicEdge bool
	next       http.Handler
	traced     http.Handler
}

// ServeHTTP makes the request's exchange and puts it in the request
// context, with the exchange's Labeler given to otelhttp through
// otelhttp.ContextWithLabeler: otelhttp then uses that Labeler instead of
// making one, adding its attributes to its metrics, and SetRoute adds
// http.route to it.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := &exchange{Context: r.Context(), publicEdge: h.publicEdge}
	traced := r.WithContext(otelhttp.ContextWithLabeler(x, &x.labeler))
	// net/http removes the temporary files of a multipart form it finds
	// on the request it gave, so the form goes back there (otelhttp does
	// the same from its copy to this one).
	defer func() { r.MultipartForm = traced.MultipartForm }()
	h.traced.ServeHTTP(w, traced)
}

// serve runs inside otelhttp's server span (or untraced, when otelhttp's
// filters let the request through without one). It hands next the
// exchange as its ResponseWriter, in front of otelhttp's, and marks the
// span once next has returned or panicked.
func (h *handler) serve(w http.ResponseWriter, r *http.Request) {
	x := r.Context().Value(exchangeKey{}).(*exchange) // made by ServeHTTP, which otelhttp's context derives from
	span := trace.SpanFromContext(r.Context())
	x.ResponseWriter, x.span, x.ServerSpanID, x.header = w, span, span.SpanContext().SpanID(), r.Header
	defer x.settle(r)
	h.next.ServeHTTP(x, r)
	x.finish()
}
