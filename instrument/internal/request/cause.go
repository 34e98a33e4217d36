package request

import (
	"context"
	"errors"

	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/failhop/failhop/vocab"
)

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
