package request

import (
	"errors"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/vocab"
)

// ErrorHeader tells the caller of a service, on a 5xx answer, why the
// request failed and where the failure started, so that the caller's
// client span can record the remote origin. Its value is a cause followed
// by parameters, for example "db_error; origin=00f067aa0ba902b7". It is
// internal: a Handler made WithPublicEdge removes it.
const ErrorHeader = "Failhop-Error"

// Report is the ErrorHeader value a failed server tells its caller: the
// record's verdict, else the server span as the origin of an app_error.
func (r *Record) Report() string {
	if f, ok := r.Verdict(); ok {
		return FormatErrorHeader(f.Cause, f.Origin())
	}
	return FormatErrorHeader(vocab.CauseAppError, r.ServerSpanID)
}

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

// truncate shortens s to at most n bytes, for quoting input in errors.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
