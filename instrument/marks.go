package instrument

import (
	"go.opentelemetry.io/otel/attribute"
)

// Attribute keys of the failhop vocabulary. They are set only on spans that
// ended in error (and on client spans that were canceled), so a successful
// request carries none of them.
const (
	// OriginKey (bool) marks the span where an error started: a panic, an SQL
	// error, a transport failure, or an application error recorded on it.
	OriginKey = attribute.Key("failhop.origin")
	// PropagatedKey (bool) marks an error span that failed only because a
	// child span or a downstream service failed.
	PropagatedKey = attribute.Key("failhop.propagated")
	// OriginSpanIDKey (string, 16 hex digits) names the origin span of a
	// propagated error when it is known: in this process, or reported by the
	// downstream service in its Failhop-Error response header.
	OriginSpanIDKey = attribute.Key("failhop.origin_span_id")
	// CauseKey (string, a [Cause]) says what kind of failure this is, as far
	// as this span knows: on a propagated span it is the origin's cause.
	CauseKey = attribute.Key("failhop.cause")
)

// Cause is the kind of a failure, written as the failhop.cause attribute.
// The set is small and closed so that it can be searched and grouped on.
type Cause string

// The causes failhop writes. Each maps to a probable fix in the analyzer.
const (
	// CausePanic: the code panicked.
	CausePanic Cause = "panic"
	// CauseAppError: the application returned an error or a 5xx of its own.
	CauseAppError Cause = "app_error"
	// CauseDBError: the database answered with an error (syntax, missing
	// table or column, constraint violation...).
	CauseDBError Cause = "db_error"
	// CauseDBUnavailable: the database could not be reached or dropped the
	// connection.
	CauseDBUnavailable Cause = "db_unavailable"
	// CausePeerUnreachable: an outbound HTTP call got no response (refused,
	// DNS, TLS, reset).
	CausePeerUnreachable Cause = "peer_unreachable"
	// CauseTimeout: a deadline passed before the operation finished.
	CauseTimeout Cause = "timeout"
	// CauseCanceled: the caller gave up (client disconnect, canceled
	// context). Not a fault of the server.
	CauseCanceled Cause = "canceled"
	// CauseUpstreamError: a downstream service answered 5xx.
	CauseUpstreamError Cause = "upstream_error"
	// CauseUpstreamRejected: a downstream service answered 4xx, which
	// usually means our own request was wrong: bad config or credentials.
	CauseUpstreamRejected Cause = "upstream_rejected"
	// CauseBadResponse: a downstream answered, but with a response that
	// could not be used (malformed body, wrong content).
	CauseBadResponse Cause = "bad_response"
	// CauseResourceExhausted: a pool, quota, memory or connection limit ran
	// out.
	CauseResourceExhausted Cause = "resource_exhausted"
)

// Causes lists every cause failhop writes, in documentation order.
var Causes = []Cause{
	CausePanic, CauseAppError, CauseDBError, CauseDBUnavailable,
	CausePeerUnreachable, CauseTimeout, CauseCanceled, CauseUpstreamError,
	CauseUpstreamRejected, CauseBadResponse, CauseResourceExhausted,
}

// Valid reports whether c is one of [Causes].
func (c Cause) Valid() bool {
	for _, known := range Causes {
		if c == known {
			return true
		}
	}
	return false
}
