package instrument

import (
	"context"
	"errors"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/vocab"
)

// failure is one failed span seen while serving a request.
type failure struct {
	spanID       trace.SpanID // the span that failed
	originSpanID trace.SpanID // where the error started; may be in another process
	cause        Cause
	err          error // what the failed operation returned, to recognise it later
}

// origin returns the span the failure started at, as far as is known.
func (f *failure) origin() trace.SpanID {
	if f.originSpanID.IsValid() {
		return f.originSpanID
	}
	return f.spanID
}

// requestRecord is the request-scoped record that lets the server span know
// what its descendants saw. Handler puts one in the request context; the
// Transport, the SQL wrappers and RecordError report failures into it. It is
// safe for concurrent use, as a handler may fan out over goroutines.
type requestRecord struct {
	serverSpanID trace.SpanID

	mu       sync.Mutex
	failures []failure // failures of descendant spans, in order
	own      *failure  // a failure recorded on the server span itself
}

type recordKey struct{}

// recordFrom returns the request record in ctx, or nil outside a Handler.
func recordFrom(ctx context.Context) *requestRecord {
	r, _ := ctx.Value(recordKey{}).(*requestRecord)
	return r
}

// add notes a failure of a span. A failure of the server span itself is kept
// apart: it decides whether the server span is an origin. Outside a
// Handler (a nil record) it does nothing.
func (r *requestRecord) add(f failure) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if f.spanID == r.serverSpanID {
		r.own = &f
		return
	}
	r.failures = append(r.failures, f)
}

// explaining returns the descendant failure that err came from, if err wraps
// the error a failed descendant returned.
func (r *requestRecord) explaining(err error) (failure, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.failures) - 1; i >= 0; i-- {
		if f := r.failures[i]; f.err != nil && errors.Is(err, f.err) {
			return f, true
		}
	}
	return failure{}, false
}

// verdict says why the server span failed: the failure recorded on it
// (panic, RecordError), else the latest failing descendant.
func (r *requestRecord) verdict() (failure, bool) {
	r.mu.Lock()
	own := r.own
	r.mu.Unlock()
	if own != nil {
		return *own, true
	}
	return r.latest()
}

// latest returns the latest failing descendant. A canceled one comes last:
// it is usually a sibling that another failure canceled.
func (r *requestRecord) latest() (failure, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.failures) - 1; i >= 0; i-- {
		if r.failures[i].cause != vocab.CauseCanceled {
			return r.failures[i], true
		}
	}
	if n := len(r.failures); n > 0 {
		return r.failures[n-1], true
	}
	return failure{}, false
}

// markOrigin writes the marks of a span where an error started.
func markOrigin(span trace.Span, cause Cause) {
	span.SetAttributes(OriginKey.Bool(true), CauseKey.String(string(cause)))
}

// markPropagated writes the marks of a span that failed because of f.
func markPropagated(span trace.Span, f failure) {
	attrs := []attribute.KeyValue{PropagatedKey.Bool(true), CauseKey.String(string(f.cause))}
	if id := f.origin(); id.IsValid() && id != span.SpanContext().SpanID() {
		attrs = append(attrs, OriginSpanIDKey.String(id.String()))
	}
	span.SetAttributes(attrs...)
}

// causeError is an error marked with a cause by MarkCause.
type causeError struct {
	cause Cause
	err   error
}

func (e *causeError) Error() string { return e.err.Error() }
func (e *causeError) Unwrap() error { return e.err }

// ErrorType names the marked error, not the marker, in error.type.
func (e *causeError) ErrorType() string { return semconv.ErrorType(e.err).Value.AsString() }

// MarkCause returns err marked with cause c, so that RecordError (and the
// Handler, through it) reports c instead of guessing. Use it where the code
// knows better than failhop, for example to mark a downstream answer that
// could not be decoded as [vocab.CauseBadResponse]. It returns nil if err is nil.
func MarkCause(err error, c Cause) error {
	if err == nil {
		return nil
	}
	return &causeError{cause: c, err: err}
}

// markedCause returns the cause err was marked with by MarkCause.
func markedCause(err error) (Cause, bool) {
	var ce *causeError
	if errors.As(err, &ce) {
		return ce.cause, true
	}
	return "", false
}

// classify returns the cause of err: the one it was marked with, else a
// deadline or cancellation, else fallback.
func classify(err error, fallback Cause) Cause {
	if c, ok := markedCause(err); ok {
		return c
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return vocab.CauseTimeout
	case errors.Is(err, context.Canceled):
		return vocab.CauseCanceled
	}
	return fallback
}

// isTimeout reports whether err says it is a timeout, as net.Error does.
func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// RecordError records err on the span in ctx as an application error, with
// its stack trace, sets the span status to Error and writes the failhop
// marks. The span is marked as having propagated a failure when err wraps
// the error a failed span under the same Handler returned (a query or call
// made with this request's context), or, unless err was given a cause with
// [MarkCause], when any span under that Handler failed (the latest one is
// named: a 5xx from a downstream service, for example, reaches the code as a
// response, not as an error). Otherwise the span is the origin, with the
// cause given by MarkCause, or a timeout, or [vocab.CauseAppError].
//
// Call it where the error is handled, typically in a handler before it
// answers 5xx: the server span then tells where the failure came from.
func RecordError(ctx context.Context, err error) {
	span := trace.SpanFromContext(ctx)
	if err == nil || !span.IsRecording() {
		return
	}
	span.RecordError(err, trace.WithStackTrace(true))
	span.SetStatus(codes.Error, err.Error())
	span.SetAttributes(semconv.ErrorType(err))

	if rec := recordFrom(ctx); rec != nil {
		f, ok := rec.explaining(err)
		if _, marked := markedCause(err); !ok && !marked {
			f, ok = rec.latest()
		}
		if ok {
			markPropagated(span, f)
			f.originSpanID = f.origin()
			f.spanID = span.SpanContext().SpanID()
			rec.add(f)
			return
		}
	}
	failOrigin(ctx, span, classify(err, vocab.CauseAppError), err)
}

// failOrigin marks span as the place where err started, with cause, and
// reports it to the request record in ctx, if any. The caller sets the span
// status and error.type, which depend on the kind of span.
func failOrigin(ctx context.Context, span trace.Span, cause Cause, err error) {
	markOrigin(span, cause)
	recordFrom(ctx).add(failure{spanID: span.SpanContext().SpanID(), cause: cause, err: err})
}
