package instrument

import (
	"errors"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel/trace"
)

// Response headers written by Handler.
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

// formatErrorHeader returns the ErrorHeader value for a failure.
func formatErrorHeader(cause Cause, origin trace.SpanID) string {
	if !origin.IsValid() {
		return string(cause)
	}
	return string(cause) + "; origin=" + origin.String()
}

var errBadErrorHeader = errors.New("malformed " + ErrorHeader + " header")

// parseErrorHeader reads an ErrorHeader value. It accepts only the known
// causes and a well-formed origin span ID, so that a misbehaving or hostile
// downstream cannot write arbitrary values into the caller's spans. Unknown
// parameters are ignored, for forward compatibility.
func parseErrorHeader(v string) (Cause, trace.SpanID, error) {
	first, params, _ := strings.Cut(v, ";")
	cause := Cause(strings.TrimSpace(first))
	if !cause.Valid() {
		return "", trace.SpanID{}, fmt.Errorf("%w: unknown cause %q", errBadErrorHeader, truncate(string(cause), 32))
	}
	var origin trace.SpanID
	for param := range strings.SplitSeq(params, ";") {
		key, value, _ := strings.Cut(strings.TrimSpace(param), "=")
		if key != "origin" {
			continue
		}
		id, err := trace.SpanIDFromHex(value)
		if err != nil {
			return "", trace.SpanID{}, fmt.Errorf("%w: origin: %v", errBadErrorHeader, err)
		}
		origin = id
	}
	return cause, origin, nil
}

// formatTraceResponse returns the TraceResponseHeader value for sc.
func formatTraceResponse(sc trace.SpanContext) string {
	return "00-" + sc.TraceID().String() + "-" + sc.SpanID().String() + "-" + sc.TraceFlags().String()
}

// truncate shortens s to at most n bytes, for quoting input in errors.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
