package instrument

import (
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/vocab"
)

// recorder is a tracer provider whose ended spans the test can read.
type recorder struct {
	*tracetest.SpanRecorder
	tp *sdktrace.TracerProvider
}

func newRecorder(t testing.TB) *recorder {
	sr := tracetest.NewSpanRecorder()
	tp := newTracerProvider(sr)
	t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
	return &recorder{SpanRecorder: sr, tp: tp}
}

func newTracerProvider(sr *tracetest.SpanRecorder) *sdktrace.TracerProvider {
	return sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
}

// options are the options a test passes to the wrappers.
func (r *recorder) options(extra ...Option) []Option {
	return append([]Option{WithTracerProvider(r.tp), WithPropagators(propagation.TraceContext{})}, extra...)
}

// span returns the only ended span of the given kind; it fails otherwise.
func (r *recorder) span(t testing.TB, kind trace.SpanKind) sdktrace.ReadOnlySpan {
	t.Helper()
	var found []sdktrace.ReadOnlySpan
	for _, s := range r.Ended() {
		if s.SpanKind() == kind {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one %v span, got %d: %v", kind, len(found), spanNames(r.Ended()))
	}
	return found[0]
}

func spanNames(spans []sdktrace.ReadOnlySpan) []string {
	var names []string
	for _, s := range spans {
		names = append(names, s.SpanKind().String()+":"+s.Name())
	}
	return names
}

// attrs returns the attributes of a span as a map of their emitted values.
func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}

// marks is what a test expects of a span's failhop attributes; empty
// strings and false mean the attribute must be absent.
type marks struct {
	origin, propagated bool
	cause              vocab.Cause
	originSpanID       string
	errorType          string
}

func checkMarks(t testing.TB, s sdktrace.ReadOnlySpan, want marks) {
	t.Helper()
	a := attrs(s)
	got := marks{
		origin:       a[vocab.KeyOrigin].AsBool(),
		propagated:   a[vocab.KeyPropagated].AsBool(),
		cause:        vocab.Cause(a[vocab.KeyCause].AsString()),
		originSpanID: a[vocab.KeyOriginSpanID].AsString(),
		errorType:    a["error.type"].AsString(),
	}
	if got != want {
		t.Errorf("span %q marks = %+v, want %+v", s.Name(), got, want)
	}
}
