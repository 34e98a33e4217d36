package request

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/vocab"
)

// MarkOrigin writes the marks of a span where an error started.
func MarkOrigin(span trace.Span, cause vocab.Cause) {
	span.SetAttributes(attribute.Bool(vocab.KeyOrigin, true), attribute.String(vocab.KeyCause, string(cause)))
}

// MarkPropagated writes the marks of a span that failed because of f.
func MarkPropagated(span trace.Span, f Failure) {
	attrs := []attribute.KeyValue{attribute.Bool(vocab.KeyPropagated, true), attribute.String(vocab.KeyCause, string(f.Cause))}
	if id := f.Origin(); id.IsValid() && id != span.SpanContext().SpanID() {
		attrs = append(attrs, attribute.String(vocab.KeyOriginSpanID, id.String()))
	}
	span.SetAttributes(attrs...)
}

// FailOrigin marks span as the place where err started, with cause, and
// reports it to the request record in ctx, if any. The caller sets the span
// status and error.type, which depend on the kind of span.
func FailOrigin(ctx context.Context, span trace.Span, cause vocab.Cause, err error) {
	MarkOrigin(span, cause)
	RecordFrom(ctx).Add(Failure{SpanID: span.SpanContext().SpanID(), Cause: cause, Err: err})
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
