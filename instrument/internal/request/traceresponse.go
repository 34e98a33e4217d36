package request

import "go.opentelemetry.io/otel/trace"

// TraceResponseHeader carries the trace ID of a failed request in the W3C
// Trace Context Level 2 "traceresponse" format
// (version-traceid-spanid-flags). It is the reference a user can quote,
// and it is kept at the public edge.
const TraceResponseHeader = "Traceresponse"

// FormatTraceResponse returns the TraceResponseHeader value for sc.
func FormatTraceResponse(sc trace.SpanContext) string {
	return "00-" + sc.TraceID().String() + "-" + sc.SpanID().String() + "-" + sc.TraceFlags().String()
}
