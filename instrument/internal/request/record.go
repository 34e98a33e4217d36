package request

import (
	"context"
	"errors"
	"sync"

	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/vocab"
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

// RecordKey is the context key of the request's Record.
type RecordKey struct{}

// RecordFrom returns the request record in ctx, or nil outside a Handler.
func RecordFrom(ctx context.Context) *Record {
	r, _ := ctx.Value(RecordKey{}).(*Record)
	return r
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
