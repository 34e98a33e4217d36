package analyzer

import (
	"errors"
	"fmt"
	"strings"
)

// ErrBadTraceRef is wrapped by the errors of ParseTraceRef.
var ErrBadTraceRef = errors.New("not a trace reference")

// TraceRefForms lists, for error messages, the forms ParseTraceRef reads.
const TraceRefForms = "a trace ID (1 to 32 hex digits), a traceparent or Traceresponse value (00-<trace id>-<span id>-01), the reference on an error page, or a link to a trace (…/trace/<trace id>)"

// ParseTraceRef reads the reference to a trace that a user quotes and
// returns its trace ID as 32 lowercase hex digits. It reads every form
// failhop tells users to quote:
//
//   - a trace ID of 1 to 32 hex digits ("4bf92f3577b34da6a3ce929d0e0e4736";
//     Jaeger prints 64-bit IDs with 16);
//   - a W3C traceparent or Traceresponse value
//     ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), also with
//     its header name ("Traceresponse: 00-...");
//   - the line of the safe error page ("Reference: 4bf9...");
//   - a link to the trace on failhop's page or in Jaeger's UI
//     (".../trace/4bf9...?uiFind=...").
//
// Surrounding space and quotes are ignored. Anything else is an error
// that wraps ErrBadTraceRef and names the forms.
func ParseTraceRef(ref string) (string, error) {
	s := strings.Trim(strings.TrimSpace(ref), "\"'`")
	if name, value, ok := strings.Cut(s, ":"); ok && !strings.Contains(name, "/") {
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "reference", "traceresponse", "traceparent", "trace", "trace id", "trace_id":
			s = strings.TrimSpace(value)
		}
	}
	if _, rest, ok := strings.Cut(s, "/trace/"); ok {
		s, _, _ = strings.Cut(rest, "?")
		s, _, _ = strings.Cut(s, "#")
		s = strings.TrimRight(s, "/")
	}
	if parts := strings.Split(s, "-"); len(parts) == 4 {
		if len(parts[0]) != 2 || !isHex(parts[0]) || len(parts[1]) != 32 || len(parts[2]) != 16 || !isHex(parts[2]) || len(parts[3]) != 2 || !isHex(parts[3]) {
			return "", fmt.Errorf("%q: %w: a traceparent value is 00-<32 hex digits>-<16 hex digits>-<2 hex digits>", clipRef(ref), ErrBadTraceRef)
		}
		s = parts[1]
	}
	if s == "" || len(s) > 32 || !isHex(s) || strings.Trim(s, "0") == "" {
		return "", fmt.Errorf("%q: %w: give %s", clipRef(ref), ErrBadTraceRef, TraceRefForms)
	}
	return strings.Repeat("0", 32-len(s)) + strings.ToLower(s), nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return s != ""
}

// clipRef shortens a reference for an error message.
func clipRef(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
