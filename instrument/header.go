package instrument

import "github.com/failhop/failhop/instrument/internal/request"

// Response headers written by Handler.
const (
	// ErrorHeader tells the caller of a service, on a 5xx answer, why the
	// request failed and where the failure started, so that the caller's
	// client span can record the remote origin. Its value is a cause
	// followed by parameters, for example "db_error; origin=00f067aa0ba902b7".
	// It is internal: a Handler made WithPublicEdge removes it.
	ErrorHeader = request.ErrorHeader
	// TraceResponseHeader carries the trace ID of a failed request in the
	// W3C Trace Context Level 2 "traceresponse" format
	// (version-traceid-spanid-flags). It is the reference a user can quote,
	// and it is kept at the public edge.
	TraceResponseHeader = request.TraceResponseHeader
)
