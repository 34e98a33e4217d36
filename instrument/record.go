package instrument

import (
	"context"

	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/instrument/internal/request"
	"github.com/failhop/failhop/vocab"
)

// MarkCause returns err marked with cause c, so that RecordError (and the
// Handler, through it) reports c instead of guessing. Use it where the code
// knows better than failhop, for example to mark a downstream answer that
// could not be decoded as [vocab.CauseBadResponse]. It returns nil if err is nil.
func MarkCause(err error, c vocab.Cause) error {
	if err == nil {
		return nil
	}
	return &request.CauseError{Cause: c, Err: err}
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

	if rec := request.RecordFrom(ctx); rec != nil {
		f, ok := rec.Explaining(err)
		if _, marked := request.MarkedCause(err); !ok && !marked {
			f, ok = rec.Latest()
		}
		if ok {
			request.MarkPropagated(span, f)
			f.OriginSpanID = f.Origin()
			f.SpanID = span.SpanContext().SpanID()
			rec.Add(f)
			return
		}
	}
	request.FailOrigin(ctx, span, request.Classify(err, vocab.CauseAppError), err)
}
