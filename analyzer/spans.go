package analyzer

import (
	"cmp"
	"net"
	"slices"
	"strings"

	"github.com/failhop/failhop/vocab"
)

// This file holds what the analyzer reads of one span: whether it failed,
// its status codes, its peer and operation, its error message.

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
		return vocab.GRPCServerFault(code)
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
	if code, ok := vocab.GRPCCode(s.Attr("rpc.response.status_code")); ok {
		return code, true
	}
	return s.int("rpc.response.status_code")
}

// passesThrough reports whether a span that did not fail gave no verdict
// of its own: status Unset and no HTTP or gRPC status, such as a
// framework's middleware or request handler span (express's "request
// handler"), a manual span around a call, or a client span of an
// instrumentation that records nothing of the answer. Such a span sits
// between a failed span and the failed call or exception below it without
// saying anything about the failure, so the walk looks through it. A span
// that answered (a status code) or that says Ok has decided, and stops the
// walk.
func passesThrough(s *Span) bool {
	if s.Status != StatusUnset || httpStatus(s) != 0 {
		return false
	}
	_, grpc := grpcStatus(s)
	return !grpc
}

// callKey identifies an operation: spans with the same key are the same
// call (a retry repeats it). It is the name, kind and service and, for
// outbound calls, the peer and request: HTTP client spans are often named
// by method alone ("GET"), so the name does not tell two calls to
// different services apart.
type callKey struct {
	name, service, operation, address string
	kind                              Kind
}

func keyOf(s *Span) callKey {
	k := callKey{name: s.Name, service: s.Service, kind: s.Kind}
	if s.Kind == KindClient || s.Kind == KindProducer {
		k.operation, k.address = clientCall(s), address(s)
	}
	return k
}

// sameCall reports whether two spans are the same operation (see callKey).
func sameCall(x, y *Span) bool { return keyOf(x) == keyOf(y) }

// address is what a client span says of its peer: the peer's service
// name, else its address (with the port, as the URL has it), else the
// URL's host; "" when the span does not say.
func address(s *Span) string {
	if p := cmp.Or(s.Attr("service.peer.name"), s.Attr("peer.service")); p != "" {
		return p
	}
	if host := cmp.Or(s.Attr("server.address"), s.Attr("net.peer.name")); host != "" {
		if port := cmp.Or(s.Attr("server.port"), s.Attr("net.peer.port")); port != "" {
			return net.JoinHostPort(host, port)
		}
		return host
	}
	host, _ := urlParts(cmp.Or(s.Attr("url.full"), s.Attr("http.url")))
	return host
}

// clientCall names an HTTP call by method and path (never the query,
// which may hold secrets), and other calls by their span name: the
// request as it was made, which tells a retry from a call for another ID.
func clientCall(s *Span) string {
	method := cmp.Or(s.Attr("http.request.method"), s.Attr("http.method"))
	_, path := urlParts(cmp.Or(s.Attr("url.full"), s.Attr("http.url")))
	if method == "" || path == "" {
		return s.Name
	}
	return method + " " + path
}

// urlParts returns the host and path of a URL, without parsing failures.
func urlParts(u string) (host, path string) {
	_, rest, ok := strings.Cut(u, "://")
	if !ok {
		return "", ""
	}
	rest, _, _ = strings.Cut(rest, "?")
	rest, _, _ = strings.Cut(rest, "#")
	host, path = rest, "/"
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		host, path = rest[:i], rest[i:]
	}
	if i := strings.LastIndex(host, "@"); i >= 0 {
		host = host[i+1:] // drop user:password
	}
	return host, path
}

func isDB(s *Span) bool {
	return s.Attr("db.system.name") != "" || s.Attr("db.system") != ""
}

// message returns the error message of a span: the message of its last
// exception (the error itself, where a status description is often a
// generic "An error occurred" or an HTTP status text), else its status
// description, else the error of its last error-level log event (what
// span loggers such as HotROD's write), else its error.type.
func message(s *Span) string {
	var logged string
	for _, e := range slices.Backward(s.Events) {
		if m := stringOf(e.Attributes["exception.message"]); m != "" && e.Name == "exception" {
			return m
		}
		if logged == "" {
			logged = loggedError(e)
		}
	}
	return cmp.Or(s.StatusMessage, logged, s.Attr("error.type"))
}

// loggedError returns the error of an error-level log event: one whose
// level (zap's and slog's "level", "log.level", "severity") is error or
// fatal, or an OpenTracing log with event "error". It is the "error" field
// (or "error.object", "error.message"), else the log's message.
func loggedError(e Event) string {
	level := strings.ToLower(cmp.Or(stringOf(e.Attributes["level"]), stringOf(e.Attributes["log.level"]), stringOf(e.Attributes["severity"])))
	if level != "error" && level != "fatal" && e.Name != "error" {
		return ""
	}
	msg := cmp.Or(stringOf(e.Attributes["error"]), stringOf(e.Attributes["error.object"]), stringOf(e.Attributes["error.message"]), stringOf(e.Attributes["message"]))
	if msg == "" && e.Name != "error" {
		msg = e.Name
	}
	return msg
}
