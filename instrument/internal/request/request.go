// Package request is what failhop's wrappers share about one request:
// their options (Config), the record of the failures seen under a server
// span (Record, put in the request context by instrument.Handler and
// instrumentgrpc's server), the marks written on spans, and the
// Failhop-Error value a server reports to its caller (a header over HTTP,
// trailer metadata over gRPC). Packages instrument and instrumentgrpc use
// it; it is internal so that neither exports the other's machinery.
package request

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/vocab"
)

// Option configures a wrapper of instrument or instrumentgrpc (see
// instrument.Option).
type Option interface {
	apply(*Config)
}

// OptionFunc is an Option that calls itself.
type OptionFunc func(*Config)

func (f OptionFunc) apply(c *Config) { f(c) }

// Config is what the options of instrument and instrumentgrpc set.
type Config struct {
	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider
	Propagators    propagation.TextMapPropagator
	Filters        []func(*http.Request) bool
	PublicEdge     bool
	DBSystem       string
	PeerService    string
	URLTemplate    func(*http.Request) string
}

// NewConfig applies opts over the defaults: the global providers and
// propagator.
func NewConfig(opts []Option) *Config {
	c := &Config{}
	for _, o := range opts {
		o.apply(c)
	}
	if c.TracerProvider == nil {
		c.TracerProvider = otel.GetTracerProvider()
	}
	if c.MeterProvider == nil {
		c.MeterProvider = otel.GetMeterProvider()
	}
	if c.Propagators == nil {
		c.Propagators = otel.GetTextMapPropagator()
	}
	return c
}

// The marks, as attribute keys (see package vocab).
const (
	OriginKey       = attribute.Key(vocab.KeyOrigin)
	PropagatedKey   = attribute.Key(vocab.KeyPropagated)
	OriginSpanIDKey = attribute.Key(vocab.KeyOriginSpanID)
	CauseKey        = attribute.Key(vocab.KeyCause)
)

// Failure is one failed span seen while serving a request.
type Failure struct {
	SpanID       trace.SpanID // the span that failed
	OriginSpanID trace.SpanID // where the error started; may be in another process
	Cause        vocab.Cause
	Err          error // what the failed operation returned, to recognise it later
}

// Origin returns the span the failure started at, as far as is known.
func (f *Failure) Origin() trace.SpanID {
	if f.OriginSpanID.IsValid() {
		return f.OriginSpanID
	}
	return f.SpanID
}

// Record is the request-scoped record that lets the server span know
// what its descendants saw. Handler puts one in the request context; the
// Transport, the SQL wrappers and RecordError report failures into it. It is
// safe for concurrent use, as a handler may fan out over goroutines.
type Record struct {
	ServerSpanID trace.SpanID

	mu       sync.Mutex
	failures []Failure // failures of descendant spans, in order
	own      *Failure  // a failure recorded on the server span itself
}

type RecordKey struct{}

// RecordFrom returns the request record in ctx, or nil outside a Handler.
func RecordFrom(ctx context.Context) *Record {
	r, _ := ctx.Value(RecordKey{}).(*Record)
	return r
}

// Add notes a failure of a span. A failure of the server span itself is kept
// apart: it decides whether the server span is an origin. Outside a
// Handler (a nil record) it does nothing.
func (r *Record) Add(f Failure) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if f.SpanID == r.ServerSpanID {
		r.own = &f
		return
	}
	r.failures = append(r.failures, f)
}

// Explaining returns the descendant failure that err came from, if err wraps
// the error a failed descendant returned.
func (r *Record) Explaining(err error) (Failure, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.failures) - 1; i >= 0; i-- {
		if f := r.failures[i]; f.Err != nil && errors.Is(err, f.Err) {
			return f, true
		}
	}
	return Failure{}, false
}

// Verdict says why the server span failed: the failure recorded on it
// (panic, RecordError), else the latest failing descendant.
func (r *Record) Verdict() (Failure, bool) {
	r.mu.Lock()
	own := r.own
	r.mu.Unlock()
	if own != nil {
		return *own, true
	}
	return r.Latest()
}

// Latest returns the latest failing descendant. A canceled one comes last:
// it is usually a sibling that another failure canceled.
func (r *Record) Latest() (Failure, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.failures) - 1; i >= 0; i-- {
		if r.failures[i].Cause != vocab.CauseCanceled {
			return r.failures[i], true
		}
	}
	if n := len(r.failures); n > 0 {
		return r.failures[n-1], true
	}
	return Failure{}, false
}

// MarkOrigin writes the marks of a span where an error started.
func MarkOrigin(span trace.Span, cause vocab.Cause) {
	span.SetAttributes(OriginKey.Bool(true), CauseKey.String(string(cause)))
}

// MarkPropagated writes the marks of a span that failed because of f.
func MarkPropagated(span trace.Span, f Failure) {
	attrs := []attribute.KeyValue{PropagatedKey.Bool(true), CauseKey.String(string(f.Cause))}
	if id := f.Origin(); id.IsValid() && id != span.SpanContext().SpanID() {
		attrs = append(attrs, OriginSpanIDKey.String(id.String()))
	}
	span.SetAttributes(attrs...)
}

// CauseError is an error marked with a cause (instrument.MarkCause).
type CauseError struct {
	Cause vocab.Cause
	Err   error
}

func (e *CauseError) Error() string { return e.Err.Error() }
func (e *CauseError) Unwrap() error { return e.Err }

// ErrorType names the marked error, not the marker, in error.type.
func (e *CauseError) ErrorType() string { return semconv.ErrorType(e.Err).Value.AsString() }

// MarkedCause returns the cause err was marked with (a CauseError).
func MarkedCause(err error) (vocab.Cause, bool) {
	var ce *CauseError
	if errors.As(err, &ce) {
		return ce.Cause, true
	}
	return "", false
}

// Classify returns the cause of err: the one it was marked with, else a
// deadline or cancellation, else fallback.
func Classify(err error, fallback vocab.Cause) vocab.Cause {
	if c, ok := MarkedCause(err); ok {
		return c
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded) || IsTimeout(err):
		return vocab.CauseTimeout
	case errors.Is(err, context.Canceled):
		return vocab.CauseCanceled
	}
	return fallback
}

// IsTimeout reports whether err says it is a timeout, as net.Error does.
func IsTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// FailOrigin marks span as the place where err started, with cause, and
// reports it to the request record in ctx, if any. The caller sets the span
// status and error.type, which depend on the kind of span.
func FailOrigin(ctx context.Context, span trace.Span, cause vocab.Cause, err error) {
	MarkOrigin(span, cause)
	RecordFrom(ctx).Add(Failure{SpanID: span.SpanContext().SpanID(), Cause: cause, Err: err})
}

// Response headers written by instrument.Handler.
const (
	// ErrorHeader tells the caller of a service, on a 5xx answer, why the
	// request failed and where the failure started, so that the caller's
	// client span can record the remote origin. Its value is a cause
	// followed by parameters, for example "db_error; origin=00f067aa0ba902b7".
	// It is internal: a Handler made WithPublicEdge removes it.
	ErrorHeader = "Failhop-Error"
	// TraceResponseHeader carries the trace ID of a failed request in the
	// W3C Trace Context Level 2 "traceresponse" format
	// (version-traceid-spanid-flags). It is the reference a user can quote,
	// and it is kept at the public edge.
	TraceResponseHeader = "Traceresponse"
)

// FormatErrorHeader returns the ErrorHeader value for a failure.
func FormatErrorHeader(cause vocab.Cause, origin trace.SpanID) string {
	if !origin.IsValid() {
		return string(cause)
	}
	return string(cause) + "; origin=" + origin.String()
}

// ErrBadErrorHeader is wrapped by the errors of ParseErrorHeader.
var ErrBadErrorHeader = errors.New("malformed " + ErrorHeader + " header")

// ParseErrorHeader reads an ErrorHeader value. It accepts only the known
// causes and a well-formed origin span ID, so that a misbehaving or hostile
// downstream cannot write arbitrary values into the caller's spans. Unknown
// parameters are ignored, for forward compatibility.
func ParseErrorHeader(v string) (vocab.Cause, trace.SpanID, error) {
	first, params, _ := strings.Cut(v, ";")
	cause := vocab.Cause(strings.TrimSpace(first))
	if !cause.Valid() {
		return "", trace.SpanID{}, fmt.Errorf("%w: unknown cause %q", ErrBadErrorHeader, truncate(string(cause), 32))
	}
	var origin trace.SpanID
	for param := range strings.SplitSeq(params, ";") {
		key, value, _ := strings.Cut(strings.TrimSpace(param), "=")
		if key != "origin" {
			continue
		}
		id, err := trace.SpanIDFromHex(value)
		if err != nil {
			return "", trace.SpanID{}, fmt.Errorf("%w: origin: %v", ErrBadErrorHeader, err)
		}
		origin = id
	}
	return cause, origin, nil
}

// FormatTraceResponse returns the TraceResponseHeader value for sc.
func FormatTraceResponse(sc trace.SpanContext) string {
	return "00-" + sc.TraceID().String() + "-" + sc.SpanID().String() + "-" + sc.TraceFlags().String()
}

// truncate shortens s to at most n bytes, for quoting input in errors.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// recordContext is a context carrying a Record, in one allocation.
type recordContext struct {
	context.Context
	Record
}

func (c *recordContext) Value(key any) any {
	if key == (RecordKey{}) {
		return &c.Record
	}
	return c.Context.Value(key)
}

// WithRecord returns ctx with a new Record for the server span in ctx.
func WithRecord(ctx context.Context) (context.Context, *Record) {
	c := &recordContext{Context: ctx}
	c.ServerSpanID = trace.SpanFromContext(ctx).SpanContext().SpanID()
	return c, &c.Record
}

// MarkServer writes the marks of a failed request on its server span,
// with errorType as error.type: the origin (app_error) when nothing under
// it failed, propagated from the record's verdict otherwise. A span that
// marked itself (a panic, RecordError) keeps its own marks.
func (r *Record) MarkServer(span trace.Span, errorType string) {
	if !span.IsRecording() {
		return
	}
	f, ok := r.Verdict()
	switch {
	case !ok:
		MarkOrigin(span, vocab.CauseAppError)
	case f.SpanID == r.ServerSpanID:
		return
	default:
		MarkPropagated(span, f)
	}
	span.SetAttributes(semconv.ErrorTypeKey.String(errorType))
}

// Report is the Failhop-Error value a failed server tells its caller:
// the record's verdict, else the server span as the origin of an app_error.
func (r *Record) Report() string {
	if f, ok := r.Verdict(); ok {
		return FormatErrorHeader(f.Cause, f.Origin())
	}
	return FormatErrorHeader(vocab.CauseAppError, r.ServerSpanID)
}

// RecordPanic records a recovered panic value v on the server span: the
// exception with its stack, status Error, error.type (the panic value's
// type, or "panic"), the origin mark; and reports it to r. It returns the
// panic as an error.
func (r *Record) RecordPanic(span trace.Span, v any) error {
	err, isErr := v.(error)
	if !isErr {
		err = fmt.Errorf("%v", v)
	}
	if span.IsRecording() {
		errorType := semconv.ErrorTypeKey.String(string(vocab.CausePanic))
		if isErr {
			errorType = semconv.ErrorType(err)
		}
		span.RecordError(err, trace.WithStackTrace(true))
		span.SetStatus(codes.Error, "panic: "+err.Error())
		span.SetAttributes(errorType)
		MarkOrigin(span, vocab.CausePanic)
	}
	r.Add(Failure{SpanID: r.ServerSpanID, Cause: vocab.CausePanic, Err: err})
	return err
}
