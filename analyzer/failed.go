package analyzer

// Failed reports whether a span ended in error, whatever convention the
// instrumentation used to say so. It is failhop's one definition of a
// failed span: the analyzer walks failed spans, and the failhop collector's
// sampling policy keeps every trace with a failed span, so that a failure
// the analyzer would explain is never sampled out.
//
// In order:
//   - status Error, or the legacy `error` tag (OpenTracing, Jaeger clients,
//     Zipkin) set to true: failed;
//   - status Ok: not failed, whatever else the span says (an instrumentation
//     that sets Ok has decided);
//   - an HTTP status (`http.response.status_code`, legacy `http.status_code`)
//     decides when present: 5xx is a failure on a server span (the request
//     failed) and on a client span (the call got a server error), whatever
//     the span status, which older instrumentations leave unset;
//   - a gRPC status (`rpc.grpc.status_code`, `rpc.response.status_code`)
//     decides when present: the codes the semantic conventions call server
//     errors (UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL,
//     UNAVAILABLE, DATA_LOSS) are failures; CANCELLED and the caller's
//     faults (INVALID_ARGUMENT, NOT_FOUND...) are not;
//   - otherwise, a recorded exception (an `exception` event) is a failure.
func Failed(s *Span) bool {
	switch {
	case s.Status == StatusError || s.Bool("error"):
		return true
	case s.Status == StatusOK:
		return false
	}
	if code := httpStatus(s); code != 0 {
		return code >= 500 && code <= 599
	}
	if code, ok := grpcStatus(s); ok {
		return grpcServerFault(code)
	}
	for _, e := range s.Events {
		if e.Name == "exception" {
			return true
		}
	}
	return false
}

// failureKeys are the span attributes Failed reads.
var failureKeys = []string{
	"error",
	"http.response.status_code", "http.status_code",
	"rpc.grpc.status_code", "rpc.response.status_code",
}

// FailureKeys returns the span attributes that Failed reads (besides the
// status, the kind and the event names), for a converter that tests many
// spans and copies only what the test needs.
func FailureKeys() []string { return append([]string(nil), failureKeys...) }

// httpStatus returns the HTTP response status code, or 0.
func httpStatus(s *Span) int {
	code, _ := s.int("http.response.status_code", "http.status_code")
	return code
}

// grpcStatus returns the gRPC status code, if the span has one: the
// number of rpc.grpc.status_code, or of rpc.response.status_code, which
// the current conventions write as the code's name ("UNAVAILABLE").
func grpcStatus(s *Span) (int, bool) {
	if code, ok := s.int("rpc.grpc.status_code"); ok {
		return code, true
	}
	v := s.Attr("rpc.response.status_code")
	if code, ok := grpcCodes[v]; ok {
		return code, true
	}
	return s.int("rpc.response.status_code")
}

// grpcCodes are the gRPC status codes by name.
var grpcCodes = map[string]int{
	"OK": 0, "CANCELLED": 1, "UNKNOWN": 2, "INVALID_ARGUMENT": 3, "DEADLINE_EXCEEDED": 4,
	"NOT_FOUND": 5, "ALREADY_EXISTS": 6, "PERMISSION_DENIED": 7, "RESOURCE_EXHAUSTED": 8,
	"FAILED_PRECONDITION": 9, "ABORTED": 10, "OUT_OF_RANGE": 11, "UNIMPLEMENTED": 12,
	"INTERNAL": 13, "UNAVAILABLE": 14, "DATA_LOSS": 15, "UNAUTHENTICATED": 16,
}

// grpcServerFault reports whether a gRPC code is a server error by the
// semantic conventions: UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED,
// INTERNAL, UNAVAILABLE, DATA_LOSS.
func grpcServerFault(code int) bool {
	switch code {
	case 2, 4, 12, 13, 14, 15:
		return true
	}
	return false
}
