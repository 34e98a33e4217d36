package instrument

import (
	"bufio"
	"context"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/propagation"
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
	c.Propagators = exchangePropagator{TextMapPropagator: c.Propagators, publicEdge: c.PublicEdge}
	return otelhttp.NewHandler(&failureHandler{publicEdge: c.PublicEdge, next: next}, operation, otelhttpOptions(c)...)
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

// exchangePropagator is the Handler's propagator as otelhttp sees it: the
// user's, whose extracted context it wraps in the request's exchange. So
// the exchange is in the context otelhttp derives its own from, before
// otelhttp looks for its Labeler there, and the request costs no
// allocation and no request copy more than otelhttp's alone.
type exchangePropagator struct {
	propagation.TextMapPropagator
	publicEdge bool
}

func (p exchangePropagator) Extract(ctx context.Context, carrier propagation.TextMapCarrier) context.Context {
	return &exchange{Context: p.TextMapPropagator.Extract(ctx, carrier), publicEdge: p.publicEdge}
}

// failureHandler runs inside the otelhttp server span. It hands the
// handler the exchange as its ResponseWriter, in front of otelhttp's.
type failureHandler struct {
	publicEdge bool
	next       http.Handler
}

func (h *failureHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s, ok := r.Context().Value(exchangeKey{}).(*exchange) // made by exchangePropagator
	if !ok || s.ResponseWriter != nil {
		// A request otelhttp's filters let through untraced (otelhttp
		// extracted nothing), or one whose exchange belongs to an outer
		// Handler: this Handler makes its own.
		s = &exchange{Context: r.Context(), publicEdge: h.publicEdge}
		given := r
		r = r.WithContext(s)
		// net/http removes the temporary files of a multipart form it
		// finds on the request it gave, so the form goes back there.
		defer func() { given.MultipartForm = r.MultipartForm }()
	}
	span := trace.SpanFromContext(r.Context())
	s.ResponseWriter, s.span, s.ServerSpanID, s.header = w, span, span.SpanContext().SpanID(), r.Header
	defer func() {
		s.settleRoute(r)
		if v := recover(); v != nil {
			s.recoverPanic(v, r)
		}
	}()
	h.next.ServeHTTP(s, r)
	s.finish()
}

// exchange is the state of one request. It is at once a request context
// (carrying the request record, and the Labeler otelhttp looks for) and
// the ResponseWriter given to the handler, so that the success path costs
// one allocation for all of them.
type exchange struct {
	context.Context
	http.ResponseWriter // otelhttp's
	request.Record

	labeler    otelhttp.Labeler
	span       trace.Span
	route      string // the router's route template, given to SetRoute
	publicEdge bool
	header     http.Header // the request's, read only for an error page

	status int  // the status the handler chose; 0 until it chooses
	held   bool // a 5xx status is held back until we know if a body follows
	sent   bool // the status line went to the client
}

// exchangeKey finds the exchange in a context derived from it.
type exchangeKey struct{}

// Value returns the request record for recordKey, otelhttp's Labeler for
// its key, the exchange itself for exchangeKey, and defers to the request
// context otherwise.
func (s *exchange) Value(key any) any {
	switch key.(type) {
	case request.RecordKey:
		return &s.Record
	case exchangeKey:
		return s
	}
	if labelerKey != nil && key == labelerKey {
		return &s.labeler
	}
	return s.Context.Value(key)
}

// labelerKey is the context key under which otelhttp looks for its
// Labeler (unexported by otelhttp), found once by asking
// otelhttp.LabelerFromContext to look in a context that notes the key it
// is asked for, and kept only if otelhttp then does find a Labeler given
// for that key. Otherwise it is nil, and otelhttp makes its own Labeler:
// a request then costs two allocations more, nothing else changes.
var labelerKey = findLabelerKey()

func findLabelerKey() any {
	probe := &keyProbe{Context: context.Background()}
	otelhttp.LabelerFromContext(probe)
	if probe.asked != 1 {
		return nil
	}
	check := &keyProbe{Context: context.Background(), answer: probe.key, labeler: &otelhttp.Labeler{}}
	if l, ok := otelhttp.LabelerFromContext(check); !ok || l != check.labeler {
		return nil
	}
	return probe.key
}

// keyProbe notes the keys it is asked for, and answers labeler for answer.
type keyProbe struct {
	context.Context
	asked   int
	key     any
	answer  any
	labeler *otelhttp.Labeler
}

func (p *keyProbe) Value(key any) any {
	p.asked++
	p.key = key
	if p.answer != nil && key == p.answer {
		return p.labeler
	}
	return nil
}

// WriteHeader records the status. A 5xx is held back: if the handler
// writes no body, or is the public edge, the safe page replaces it.
func (s *exchange) WriteHeader(code int) {
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		s.ResponseWriter.WriteHeader(code) // informational: more may follow
		return
	}
	if s.sent || s.held {
		return // a superfluous call, as net/http would ignore it
	}
	s.status = code
	if code >= 500 {
		s.held = true
		return
	}
	s.send()
}

// Write sends b, first releasing the held status line. There is no
// WriteString or ReadFrom: otelhttp's writer below counts the body
// (http.response.body.size) only in its Write, and turns a string into
// bytes there anyway.
func (s *exchange) Write(b []byte) (int, error) {
	if !s.beforeBody() {
		return len(b), nil // replaced by the safe page in finish
	}
	return s.ResponseWriter.Write(b)
}

// beforeBody readies the response for body bytes: it releases a held
// status line, or, when the handler wrote none, takes the implicit 200
// that the writer below sends with the first bytes. It reports false
// where the bytes are to be dropped: a held 5xx at the public edge.
func (s *exchange) beforeBody() bool {
	switch {
	case s.held:
		if s.publicEdge {
			return false
		}
		s.send()
	case !s.sent:
		s.status = http.StatusOK
		s.setHeaders()
	}
	return true
}

// Flush sends what is buffered; a held 5xx stays held at the public edge.
func (s *exchange) Flush() {
	if s.held && s.publicEdge {
		return
	}
	if !s.sent {
		s.WriteHeader(http.StatusOK)
		if s.held {
			s.send()
		}
	}
	_ = http.NewResponseController(s.ResponseWriter).Flush()
}

// Hijack hands the connection over, as the underlying writer allows.
func (s *exchange) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(s.ResponseWriter).Hijack()
	if err == nil {
		s.sent = true
	}
	return conn, rw, err
}

// Unwrap gives http.ResponseController access to the underlying writer.
func (s *exchange) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// send writes the status line, with failhop's headers on a 5xx.
func (s *exchange) send() {
	s.setHeaders()
	s.ResponseWriter.WriteHeader(s.status)
}

// setHeaders prepares the response headers for the status line.
func (s *exchange) setHeaders() {
	s.held, s.sent = false, true
	if s.publicEdge {
		s.ResponseWriter.Header().Del(ErrorHeader) // the handler may have copied it from a downstream answer
	}
	if s.status >= 500 {
		h := s.ResponseWriter.Header()
		if sc := s.span.SpanContext(); sc.IsValid() {
			h.Set(TraceResponseHeader, request.FormatTraceResponse(sc))
		}
		if !s.publicEdge {
			h.Set(ErrorHeader, s.Report())
		}
	}
}

// finish completes a response after the handler returned.
func (s *exchange) finish() {
	if s.held {
		s.writeSafePage()
	}
	if s.status >= 500 {
		s.MarkServer(s.span, strconv.Itoa(s.status))
	}
}

// writeSafePage answers with the held 5xx status and the safe error page.
func (s *exchange) writeSafePage() {
	s.setHeaders()
	var ref string
	if sc := s.span.SpanContext(); sc.HasTraceID() {
		ref = sc.TraceID().String()
	}
	newErrorPage(s.status, ref).write(s.ResponseWriter, s.header.Get("Accept"))
}

// recoverPanic records a panic on the server span and answers 500 if the
// status line has not gone out; otherwise it aborts the response, so that
// the client sees a broken answer rather than a truncated success.
func (s *exchange) recoverPanic(v any, r *http.Request) {
	if v == http.ErrAbortHandler {
		panic(v)
	}
	stack := debug.Stack()
	err := s.RecordPanic(s.span, v)
	slog.ErrorContext(r.Context(), "failhop: recovered panic", "method", r.Method, "path", r.URL.Path,
		"panic", err.Error(), "stack", string(stack))
	if s.sent {
		panic(http.ErrAbortHandler)
	}
	s.status, s.held = http.StatusInternalServerError, true
	s.writeSafePage()
}

// route returns the path template of a ServeMux pattern such as
// "GET example.com/items/{id}": "/items/{id}".
func route(pattern string) string {
	if _, after, ok := strings.Cut(pattern, " "); ok {
		pattern = after
	}
	if i := strings.IndexByte(pattern, '/'); i > 0 {
		pattern = pattern[i:]
	}
	return pattern
}
