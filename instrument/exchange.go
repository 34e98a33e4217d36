package instrument

import (
	"bufio"
	"context"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/instrument/internal/request"
)

// exchange is the state of one request under a Handler. It is at once a
// request context (carrying the request record) and the ResponseWriter
// given to the handler, so that it costs one allocation for both.
type exchange struct {
	context.Context
	http.ResponseWriter // otelhttp's
	request.Record

	labeler    otelhttp.Labeler // given to otelhttp by ContextWithLabeler
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

// Value returns the request record for request.RecordKey, the exchange
// itself for exchangeKey, and defers to the request context otherwise.
func (x *exchange) Value(key any) any {
	switch key.(type) {
	case request.RecordKey:
		return &x.Record
	case exchangeKey:
		return x
	}
	return x.Context.Value(key)
}

// WriteHeader records the status. A 5xx is held back: if the handler
// writes no body, or is the public edge, the safe page replaces it.
func (x *exchange) WriteHeader(code int) {
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		x.ResponseWriter.WriteHeader(code) // informational: more may follow
		return
	}
	if x.sent || x.held {
		return // a superfluous call, as net/http would ignore it
	}
	x.status = code
	if code >= 500 {
		x.held = true
		return
	}
	x.send()
}

// Write sends b, first releasing the held status line. There is no
// WriteString or ReadFrom: otelhttp's writer below counts the body
// (http.response.body.size) only in its Write, and turns a string into
// bytes there anyway.
func (x *exchange) Write(b []byte) (int, error) {
	if !x.beforeBody() {
		return len(b), nil // replaced by the safe page in finish
	}
	return x.ResponseWriter.Write(b)
}

// beforeBody readies the response for body bytes: it releases a held
// status line, or, when the handler wrote none, takes the implicit 200
// that the writer below sends with the first bytes. It reports false
// where the bytes are to be dropped: a held 5xx at the public edge.
func (x *exchange) beforeBody() bool {
	switch {
	case x.held:
		if x.publicEdge {
			return false
		}
		x.send()
	case !x.sent:
		x.status = http.StatusOK
		x.setHeaders()
	}
	return true
}

// Flush sends what is buffered; a held 5xx stays held at the public edge.
func (x *exchange) Flush() {
	if x.held && x.publicEdge {
		return
	}
	if !x.sent {
		x.WriteHeader(http.StatusOK)
		if x.held {
			x.send()
		}
	}
	_ = http.NewResponseController(x.ResponseWriter).Flush()
}

// Hijack hands the connection over, as the underlying writer allows.
func (x *exchange) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(x.ResponseWriter).Hijack()
	if err == nil {
		x.sent = true
	}
	return conn, rw, err
}

// Unwrap gives http.ResponseController access to the underlying writer.
func (x *exchange) Unwrap() http.ResponseWriter { return x.ResponseWriter }

// send writes the status line, with failhop's headers on a 5xx.
func (x *exchange) send() {
	x.setHeaders()
	x.ResponseWriter.WriteHeader(x.status)
}

// setHeaders prepares the response headers for the status line.
func (x *exchange) setHeaders() {
	x.held, x.sent = false, true
	if x.publicEdge {
		x.ResponseWriter.Header().Del(ErrorHeader) // the handler may have copied it from a downstream answer
	}
	if x.status >= 500 {
		h := x.ResponseWriter.Header()
		if sc := x.span.SpanContext(); sc.IsValid() {
			h.Set(TraceResponseHeader, request.FormatTraceResponse(sc))
		}
		if !x.publicEdge {
			h.Set(ErrorHeader, x.Report())
		}
	}
}

// finish completes a response after the handler returned.
func (x *exchange) finish() {
	if x.held {
		x.writeSafePage()
	}
	if x.status >= 500 {
		x.MarkServer(x.span, strconv.Itoa(x.status))
	}
}

// settle runs when the handler has returned or panicked: it leaves the
// route on the server span and recovers a panic.
func (x *exchange) settle(r *http.Request) {
	x.settleRoute(r)
	if v := recover(); v != nil {
		x.recoverPanic(v, r)
	}
}

// writeSafePage answers with the held 5xx status and the safe error page.
func (x *exchange) writeSafePage() {
	x.setHeaders()
	var ref string
	if sc := x.span.SpanContext(); sc.HasTraceID() {
		ref = sc.TraceID().String()
	}
	newErrorPage(x.status, ref).write(x.ResponseWriter, x.header.Get("Accept"))
}

// recoverPanic records a panic on the server span and answers 500 if the
// status line has not gone out; otherwise it aborts the response, so that
// the client sees a broken answer rather than a truncated success.
func (x *exchange) recoverPanic(v any, r *http.Request) {
	if v == http.ErrAbortHandler {
		panic(v)
	}
	stack := debug.Stack()
	err := x.RecordPanic(x.span, v)
	slog.ErrorContext(r.Context(), "failhop: recovered panic", "method", r.Method, "path", r.URL.Path,
		"panic", err.Error(), "stack", string(stack))
	if x.sent {
		panic(http.ErrAbortHandler)
	}
	x.status, x.held = http.StatusInternalServerError, true
	x.writeSafePage()
}
