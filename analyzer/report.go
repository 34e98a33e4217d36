package analyzer

import (
	"strings"
	"time"

	"github.com/failhop/failhop/vocab"
)

// Report is the answer for one trace: did the request fail, and if so which
// hop made it fail and why.
type Report struct {
	TraceID string `json:"trace_id"`
	// Failed says whether the root request failed.
	Failed bool `json:"failed"`
	// Root is the request the trace is about.
	Root Step `json:"root"`
	// RootStatus is the root's HTTP status code, or 0 when it has none.
	RootStatus int `json:"root_status,omitempty"`
	// Start is when the root span started.
	Start time.Time `json:"start"`
	// Hops are the failing hops that explain the root's failure, the most
	// likely first. Empty when Failed is false.
	Hops []Hop `json:"hops"`
	// NonFatal are errors the request survived: retried and recovered,
	// swallowed, or in a request that succeeded.
	NonFatal []Hop `json:"non_fatal"`
	// Units are the units of work of their own in the trace: the
	// processing of each message the request did not wait for, analyzed
	// like a request; the failed ones first.
	Units []Unit `json:"units"`
	// Notes say what was odd about the trace (missing spans, clock skew).
	Notes []string `json:"notes"`
	// Problem, when not empty, says why the trace could not be analyzed
	// (it has no spans, or no span to start from); nothing else is set
	// but TraceID.
	Problem string `json:"problem,omitempty"`
}

// Confidence says how sure the analyzer is of a hop.
type Confidence string

// The confidence levels.
const (
	High   Confidence = "high"
	Medium Confidence = "medium"
	Low    Confidence = "low"
)

// Hop is one failing hop: the span where an error started, in words.
type Hop struct {
	// Rank is 1 for the most likely hop.
	Rank int `json:"rank"`
	// SpanID is the origin span: where the error started.
	SpanID string `json:"span_id"`
	// Service is the service that recorded the origin span.
	Service        string `json:"service"`
	ServiceVersion string `json:"service_version,omitempty"`
	// From and To are the two ends of the hop: the calling service and the
	// service, database or peer it called. To is empty for a failure inside
	// a service (a panic in a handler).
	From string `json:"from"`
	To   string `json:"to,omitempty"`
	// Operation is the span name of the failing call or handler.
	Operation string `json:"operation"`
	// Description is the hop in words: "orders → payments POST /charge".
	Description string `json:"description"`
	// Cause is the kind of failure (failhop's causes: panic, db_error...).
	Cause vocab.Cause `json:"cause"`
	// Example is the call as it was made (method and path, never the
	// query), when Operation names it by a template or its method alone:
	// "GET /reviews/42" for a hop named "reviews GET".
	Example string `json:"example,omitempty"`
	// Message is the error message, when the spans have one.
	Message string `json:"message,omitempty"`
	// Evidence are the origin span's attributes that explain the failure,
	// picked by semantic convention (the statement, the URL, error.type,
	// the status codes, the messaging destination), in that order.
	Evidence []Attribute `json:"evidence,omitempty"`
	// CallSite is where in the code the failing call was made, when the
	// span records it (code.function.name, code.file.path,
	// code.line.number): "main.charge /src/orders/main.go:42". Read it
	// before the stack, which starts where the error was recorded.
	CallSite string `json:"call_site,omitempty"`
	// Stack is a stack trace recorded at or above the origin in its service.
	Stack string `json:"stack,omitempty"`
	// Hint says what to check first, from the cause.
	Hint string `json:"hint"`
	// Path is the chain of spans from the root to the origin. A path of
	// more than 100 spans is folded: it keeps the first 10 and the last
	// 90, and PathOmitted is how many were left out in between.
	Path        []Step `json:"path"`
	PathOmitted int    `json:"path_omitted,omitempty"`
	// Count is how many spans failed the same way on this hop: the
	// attempts of a retried call, or parallel calls.
	Count int `json:"count"`
	// Attempts is, for a call that was tried again after it failed and
	// failed the same way every time, how many times it was tried; SpanID
	// is then the last attempt. 0 when the call was not retried.
	Attempts int `json:"attempts,omitempty"`
	// Confidence and, when not high, the reason.
	Confidence Confidence `json:"confidence"`
	Reason     string     `json:"reason,omitempty"`
}

// incompleteReason begins the reason of a hop found in a trace that lacks
// spans its analysis needed.
const incompleteReason = "the trace is incomplete: "

// Incomplete reports whether h was found in a trace that lacks spans its
// analysis needed (dropped or evicted before the analysis, or not exported
// yet): h is then only where the failure was last seen.
func (h Hop) Incomplete() bool {
	return h.Confidence == Low && strings.HasPrefix(h.Reason, incompleteReason)
}

// Step is a span on a path, named for people.
type Step struct {
	SpanID  string `json:"span_id"`
	Service string `json:"service"`
	Name    string `json:"name"`
	Kind    Kind   `json:"kind"`
	Error   bool   `json:"error"`
}

// Attribute is a span attribute, its value formatted for reading.
type Attribute struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// OriginOperation names what failed at the origin span, as the failure
// metrics label it (origin_operation): its operation and, for an outbound
// call, what it called ("payments POST /charge", "sqlite SELECT stock"),
// so that calls of one service to two peers stay apart. Like Operation,
// it holds no IDs.
func (h Hop) OriginOperation() string {
	if h.To == "" || h.To == h.Service {
		return h.Operation
	}
	return h.To + " " + h.Operation
}
