// Package vocab is failhop's vocabulary, in one place: the causes of a
// failure, what to check first for each, and the span attributes failhop
// writes. The instrumentation (package instrument) writes them, the
// analyzer reads and answers in them, the collector's processor marks with
// them. It imports nothing, so that each of those can.
//
// A new cause is a constant here, in the list of causes, with its hint;
// its rows in README.md and docs/cli.md; and the code that decides it
// (instrument's classifiers, the analyzer's causeOf) with its fixtures.
// TestEveryCause lists every cause with its hint, its README row and its
// style on the web page (one style for all causes), and fails on a gap.
package vocab

// Attribute keys the instrumentation writes. They are set only on spans
// that ended in error (and on client spans that were canceled), so a
// successful request carries none of them.
const (
	// KeyOrigin (bool) marks the span where an error started: a panic, an
	// SQL error, a transport failure, or an application error recorded on
	// it.
	KeyOrigin = "failhop.origin"
	// KeyPropagated (bool) marks an error span that failed only because a
	// child span or a downstream service failed.
	KeyPropagated = "failhop.propagated"
	// KeyOriginSpanID (string, 16 hex digits) names the origin span of a
	// propagated error when it is known: in this process, or reported by
	// the downstream service in its Failhop-Error response header.
	KeyOriginSpanID = "failhop.origin_span_id"
	// KeyCause (string, a [Cause]) says what kind of failure this is, as
	// far as this span knows: on a propagated span it is the origin's.
	KeyCause = "failhop.cause"
)

// Attribute keys the collector's failhop processor writes, from the
// analyzer's answer. It removes them from incoming spans first: only it
// sets them.
const (
	// KeyRootCause (bool true) marks the origin span of a fatal hop.
	KeyRootCause = "failhop.root_cause"
	// KeyRootCauseRank (int) is the hop's rank, 1 for the most likely.
	KeyRootCauseRank = "failhop.root_cause.rank"
	// KeyFailingHop (string) on the root span is hop 1 in words.
	KeyFailingHop = "failhop.failing_hop"
	// KeyFailingHopCause (string) on the root span is hop 1's cause.
	KeyFailingHopCause = "failhop.failing_hop.cause"
	// KeyFailingHopConfidence (string: high, medium, low) on the root span
	// is how sure the analysis is of hop 1; KeyFailingHopReason says why
	// when it is not high (an incomplete trace, for one).
	KeyFailingHopConfidence = "failhop.failing_hop.confidence"
	KeyFailingHopReason     = "failhop.failing_hop.reason"
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

// causes lists every cause, in documentation order.
var causes = [...]Cause{
	CausePanic, CauseAppError, CauseDBError, CauseDBUnavailable,
	CausePeerUnreachable, CauseTimeout, CauseCanceled, CauseUpstreamError,
	CauseUpstreamRejected, CauseBadResponse, CauseResourceExhausted,
}

// Causes returns every cause, in documentation order.
func Causes() []Cause { return append([]Cause(nil), causes[:]...) }

// Valid reports whether c is one of [Causes].
func (c Cause) Valid() bool {
	_, ok := hints[c]
	return ok
}

// Hint says what to check first for a failure of cause c, or gives a
// generic advice for an unknown one.
func (c Cause) Hint() string {
	if h, ok := hints[c]; ok {
		return h
	}
	return "Read the error on the failing span and the logs of its service around that time."
}

// hints is the one table of what to check first for each cause. It follows
// the diagnosis guide failhop grew from: its four families of causes
// (a failed code path, bad configuration, a dependency outage, resource
// exhaustion) and their fixes, applied to the hop the analyzer found.
var hints = map[Cause]string{
	CausePanic: "Unhandled exception or failed code path: the stack below shows where. " +
		"Roll back the release that brought it, or patch that code path.",
	CauseAppError: "The service answered with an error of its own: read the error and stack, " +
		"and compare with the last deploy or config change.",
	CauseDBError: "The database refused the statement: check the query against the schema " +
		"(a migration or a release that expects another schema), and the release that sent it.",
	CauseDBUnavailable: "Dependency outage: the database could not be reached. " +
		"Check its health, the network path, and the connection settings and credentials.",
	CausePeerUnreachable: "Dependency outage: the called service did not answer. " +
		"Check that it runs and is healthy, DNS and TLS, and the URL the caller is configured with.",
	CauseTimeout: "Too slow: check the slow span below (slow query, lock wait), pool sizes, " +
		"and CPU and memory on its service; then the caller's timeout.",
	CauseCanceled: "The caller gave up before the answer: not a fault of this service. " +
		"Look at why the request was slow and at the caller's timeout.",
	CauseUpstreamError: "A downstream service failed and sent no details: " +
		"follow the call into its traces and logs, and check its health.",
	CauseUpstreamRejected: "The downstream refused our request (4xx): usually our own configuration. " +
		"Check the caller's environment variables and config: URLs, API keys, credentials.",
	CauseBadResponse: "The downstream answered, but not with something usable: " +
		"check its version and the contract between the two services (a bad upstream answer is a 502).",
	CauseResourceExhausted: "Resource exhaustion: a pool, limit, memory or disk ran out. " +
		"Check pool sizes and limits, CPU and memory; add capacity or shed load.",
}
