package analyzer

import (
	"strings"

	"github.com/failhop/failhop/vocab"
)

// causeOf returns the kind of failure of an origin span: failhop's
// failhop.cause when the span has it, else what its status, attributes and
// events say, by the same categories.
func causeOf(s *Span, children []*Span) vocab.Cause {
	if c := s.Attr(vocab.KeyCause); c != "" {
		return vocab.Cause(c)
	}
	e := evidenceOf(s)
	switch {
	case e.canceled():
		return vocab.CauseCanceled
	case isDB(s):
		return e.dbCause()
	case s.Kind == KindClient || s.Kind == KindProducer:
		return e.clientCause(children)
	case s.Kind == KindServer && panicked(s):
		return vocab.CausePanic
	case e.timeoutish():
		return vocab.CauseTimeout
	case e.isGRPC && e.grpc == 4, s.Kind == KindServer && e.http == 504:
		return vocab.CauseTimeout
	case e.exhausted(), e.isGRPC && e.grpc == 8:
		return vocab.CauseResourceExhausted
	case s.Kind == KindServer && e.http == 502:
		return vocab.CauseBadResponse
	}
	return vocab.CauseAppError
}

// evidence is what a failed span says of its failure, read once: its HTTP
// and gRPC status codes, and its error.type and message in lower case.
type evidence struct {
	s      *Span
	http   int
	grpc   int
	isGRPC bool
	text   string
}

func evidenceOf(s *Span) evidence {
	e := evidence{s: s, http: httpStatus(s)}
	e.grpc, e.isGRPC = grpcStatus(s)
	e.text = strings.ToLower(s.Attr("error.type") + " " + message(s))
	return e
}

// dbCause classifies a failed database span by its SQLSTATE (or driver
// code) and error text.
func (e evidence) dbCause() vocab.Cause {
	byCode := vocab.SQLStateCause(e.s.Attr("db.response.status_code"))
	switch {
	case e.timeoutish() || byCode == vocab.CauseTimeout:
		return vocab.CauseTimeout
	case byCode == vocab.CauseDBUnavailable ||
		containsAny(e.text, "connection refused", "no such host", "bad connection", "unable to open database"):
		return vocab.CauseDBUnavailable
	case byCode == vocab.CauseResourceExhausted || e.exhausted():
		return vocab.CauseResourceExhausted
	}
	return vocab.CauseDBError
}

// clientCause classifies a failed outbound call: no response is an
// unreachable peer or a timeout, a 5xx an upstream error, a 4xx our own
// request refused.
func (e evidence) clientCause(children []*Span) vocab.Cause {
	if e.isGRPC { // canceled ones are told apart before (canceled)
		return vocab.GRPCClientCause(e.grpc)
	}
	switch code := e.http; {
	case code == 504:
		return vocab.CauseTimeout // a gateway on the way gave up
	case code >= 500:
		return vocab.CauseUpstreamError
	case code >= 400:
		return vocab.CauseUpstreamRejected
	case e.timeoutish():
		return vocab.CauseTimeout
	case code == 0 && len(children) == 0:
		return vocab.CausePeerUnreachable
	}
	return vocab.CauseAppError
}

// canceled reports whether the span's work was canceled by its caller
// rather than failing: gRPC CANCELLED, HTTP 499 (the client closed the
// request), or an error that says so (Go's "context canceled", Node's
// "aborted"). A deadline that passed is a timeout, not this.
func (e evidence) canceled() bool {
	if e.isGRPC {
		return e.grpc == 1
	}
	if e.http == 499 {
		return true
	}
	if t, _, _ := strings.Cut(e.text, " "); t == "canceled" || t == "cancelled" || t == "context.canceled" {
		return true
	}
	return !e.timeoutish() && containsAny(e.text,
		"context canceled", "operation was canceled", "operation canceled", "request canceled", "call canceled",
		"operation was cancelled", "canceledexception", "cancellationexception", "cancellederror", // .NET, Java, Python
		"aborterror", "request aborted", "client disconnected", "client closed request")
}

// timeoutish reports whether the span's error says a deadline passed.
func (e evidence) timeoutish() bool {
	return containsAny(e.text, "timeout", "deadline exceeded", "timed out")
}

// exhausted reports whether the span's error says a resource ran out.
func (e evidence) exhausted() bool {
	return containsAny(e.text, "too many connections", "pool exhausted",
		"out of memory", "resource exhausted", "too many open files", "no space left")
}

// panicked reports whether the span recorded a panic (an exception whose
// type or message says so).
func panicked(s *Span) bool {
	if s.Attr("error.type") == "panic" {
		return true
	}
	for _, e := range s.Events {
		if e.Name != "exception" {
			continue
		}
		t, m := stringOf(e.Attributes["exception.type"]), stringOf(e.Attributes["exception.message"])
		if strings.Contains(strings.ToLower(t), "panic") || strings.HasPrefix(m, "panic") ||
			strings.HasPrefix(t, "runtime.") {
			return true
		}
	}
	return false
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
