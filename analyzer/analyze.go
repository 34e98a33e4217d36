package analyzer

import (
	"cmp"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/failhop/failhop/vocab"
)

// MaxSpans is how many spans of a trace Analyze looks at: the earliest
// MaxSpans by start time. A bigger trace (a runaway loop, a batch job
// traced as one request) is analyzed in part, with a note and low
// confidence, so that time and memory stay bounded.
const MaxSpans = 100_000

// Paths longer than maxPathSteps are folded in reports: Hop.Path keeps the
// first pathHead steps and the last maxPathSteps-pathHead (the root side
// and the origin side), and PathOmitted counts the steps in between.
const (
	maxPathSteps = 100
	pathHead     = 10
)

// maxListed is how many hops a report lists, fatal and non-fatal each: a
// fan-out of thousands of distinct failed calls is told by its first ones
// and a count.
const maxListed = 50

// stackSearch is how many spans above an origin, in its service, are
// searched for a recorded stack trace.
const stackSearch = 64

// skewTolerance is how far a child may start before, or end after, its
// parent in another service before the analyzer calls it clock skew.
const skewTolerance = 5 * time.Millisecond

// Analyze explains one trace. It never fails: a trace with missing spans or
// odd timing still gets an answer, with notes and a lower confidence.
//
// It starts from the root span. When the root did not fail, the request
// succeeded and every error in the trace is non-fatal. When it did, it walks
// down through failed spans along synchronous calls only (asynchronous
// children and links cannot explain a synchronous answer), and through
// spans that gave no verdict of their own (a framework's request handler
// span), skipping failed attempts that a later retry recovered, to the
// spans where the errors started. Each of those is a hop; fan-out gives
// several, ranked, and branches canceled because another one failed are
// consequences, not hops. A timeout is followed into the callee's critical
// path to the slow span, also when the callee outlived a caller that gave
// up (a proxy's 504). Attempts of a call that all failed the same way are
// one hop at the last attempt.
func Analyze(t *Trace) Report {
	a := newAnalysis(t)
	r := Report{TraceID: t.TraceID, Hops: []Hop{}, NonFatal: []Hop{}, Notes: []string{}}
	if a.root == nil {
		r.Problem = "the trace has no spans"
		if len(a.byID) > 0 {
			r.Problem = "no span to start from: every span's parent is in the trace (their parent IDs form a cycle)"
		}
		return r
	}
	r.Root = step(a.root)
	r.RootStatus = httpStatus(a.root)
	r.Start = a.root.Start
	r.Failed = Failed(a.root)

	var fatal []origin
	if r.Failed {
		fatal = a.explain(a.root, make([]origin, 0, len(a.failed)+1))
		fatal = a.refineTimeouts(fatal)
		fatal = withoutConsequences(fatal)
	}
	onPath := map[*Span]bool{}
	for _, o := range fatal {
		for s := o.span; s != nil && !onPath[s]; s = a.parent(s) {
			onPath[s] = true
		}
	}
	r.Hops = a.hops(fatal, true)
	r.NonFatal = a.hops(a.nonFatal(onPath, r.Failed), false)
	r.Notes = append(r.Notes, a.notes...)
	return r
}

// withoutConsequences drops the origins canceled because another branch
// failed: in a fan-out, the caller cancels the other calls when one fails,
// so their "context canceled" is a consequence of that failure. When every
// origin was canceled (the client went away), they are the answer.
func withoutConsequences(origins []origin) []origin {
	canceled := func(o origin) bool { return o.cause == vocab.CauseCanceled }
	if !slices.ContainsFunc(origins, canceled) {
		return origins
	}
	out := slices.DeleteFunc(slices.Clone(origins), canceled)
	if len(out) == 0 {
		return origins
	}
	return out
}

// analysis is the index of one trace.
type analysis struct {
	byID       map[string]*Span
	children   map[*Span][]*Span
	root       *Span
	failing    map[*Span]bool   // failsBelow's answers
	skew       map[*Span]string // skewAbove's answers
	failed     []*Span          // the spans that failed, once each
	incomplete string           // why the trace is incomplete, "" if it is not
	notes      []string
}

func newAnalysis(t *Trace) *analysis {
	spans := t.Spans
	a := &analysis{byID: make(map[string]*Span, min(len(spans), MaxSpans)), children: make(map[*Span][]*Span, min(len(spans), MaxSpans)/2)}
	if len(spans) > MaxSpans {
		spans = slices.DeleteFunc(slices.Clone(spans), func(s *Span) bool { return s == nil })
		slices.SortFunc(spans, byStart)
		spans = spans[:min(len(spans), MaxSpans)]
		a.incomplete = fmt.Sprintf("only its first %d spans were analyzed", len(spans))
		a.notes = append(a.notes, fmt.Sprintf("the trace has %d spans: only the %d that started first were analyzed", len(t.Spans), len(spans)))
	}
	for _, s := range spans {
		if s != nil && a.byID[s.SpanID] == nil {
			a.byID[s.SpanID] = s
		}
	}
	var roots, orphans []*Span
	for _, s := range spans {
		if s == nil || a.byID[s.SpanID] != s {
			continue // a duplicate ID: the first span with it counts
		}
		parent := a.byID[s.ParentSpanID]
		switch {
		case s.ParentSpanID == "":
			roots = append(roots, s)
		case parent == nil:
			orphans = append(orphans, s)
		default:
			a.children[parent] = append(a.children[parent], s)
		}
	}
	slices.SortFunc(roots, byStart)
	slices.SortFunc(orphans, byStart)
	a.collectFailed(append(slices.Clip(roots), orphans...))
	switch {
	case len(roots) > 0:
		a.root = roots[0]
	case len(orphans) > 0:
		a.root = orphans[0]
		orphans = orphans[1:]
		if a.root.Kind == KindServer || a.root.Kind == KindConsumer {
			// A request from a caller that sent no spans of its own (a
			// load generator, a browser, an edge that propagates
			// traceparent but does not export): what is below the
			// server span is whole, so its answer stands.
			a.notes = append(a.notes, fmt.Sprintf("the analysis starts at %s %q, whose caller is not in the trace (an untraced client, or its spans are missing)", a.root.Service, a.root.Name))
		} else {
			a.incomplete = "the root span is missing"
			a.notes = append(a.notes, fmt.Sprintf("the root span is missing; the analysis starts at %s %q, the earliest span whose parent is absent", a.root.Service, a.root.Name))
		}
	}
	if len(orphans) > 0 {
		if a.incomplete == "" {
			a.incomplete = fmt.Sprintf("%d spans have no parent in the trace", len(orphans))
		}
		a.notes = append(a.notes, fmt.Sprintf("%d span(s) have a parent that is not in the trace: spans are missing (not sampled, not sent yet, or lost)", len(orphans)))
	}
	return a
}

// collectFailed lists the failed spans reachable from the spans the
// analysis can start from. Spans it cannot reach hang below a cycle of
// parent IDs (broken data): they are left out, so every span the analysis
// looks at has a finite chain of parents.
func (a *analysis) collectFailed(tops []*Span) {
	reached := 0
	for queue := tops; len(queue) > 0; queue = queue[1:] {
		s := queue[0]
		reached++
		if Failed(s) {
			a.failed = append(a.failed, s)
		}
		queue = append(queue, a.children[s]...)
	}
	if cut := len(a.byID) - reached; cut > 0 && reached > 0 {
		a.incomplete = cmp.Or(a.incomplete, "some parent IDs form a cycle")
		a.notes = append(a.notes, fmt.Sprintf("%d span(s) are cut off from the root by a cycle of parent IDs: left out", cut))
	}
}

// parent returns the parent of s in the trace, or nil.
func (a *analysis) parent(s *Span) *Span { return a.byID[s.ParentSpanID] }

func byStart(x, y *Span) int {
	return cmp.Or(x.Start.Compare(y.Start), strings.Compare(x.SpanID, y.SpanID))
}

// origin is a span where an error started, with how it was found.
type origin struct {
	span       *Span
	cause      vocab.Cause
	confidence Confidence
	reason     string
}

// explain appends the spans where the failure of s started to out. The
// spans below the root form a tree (see collectFailed), so each is looked
// at once.
func (a *analysis) explain(s *Span, out []origin) []origin {
	if s.Bool(vocab.KeyOrigin) {
		return append(out, a.newOrigin(s))
	}
	n := len(out)
	for _, c := range a.failingChildren(s) {
		out = a.explain(c, out)
	}
	if len(out) > n {
		return out
	}
	// The kit may name an origin that is not reachable through failed
	// spans (an internal span in between that was not marked).
	if o := a.byID[s.Attr(vocab.KeyOriginSpanID)]; o != nil && o != s && a.isBelow(o, s) {
		return append(out, a.newOrigin(o))
	}
	return append(out, a.newOrigin(s))
}

// isBelow reports whether s is a descendant of ancestor.
func (a *analysis) isBelow(s, ancestor *Span) bool {
	for p := a.parent(s); p != nil; p = a.parent(p) {
		if p == ancestor {
			return true
		}
	}
	return false
}

func (a *analysis) newOrigin(s *Span) origin {
	o := origin{span: s, cause: causeOf(s, a.syncChildren(s)), confidence: High}
	switch {
	case a.incomplete != "":
		o.confidence, o.reason = Low, "the trace is incomplete: "+a.incomplete
	case s.Kind == KindClient && httpStatus(s) >= 500 && !a.hasServerChild(s):
		o.confidence, o.reason = Medium, "the called service sent no spans, so the failure inside it is not visible"
	case s.Attr(vocab.KeyCause) == "" && !s.Bool(vocab.KeyOrigin):
		o.confidence, o.reason = Medium, "inferred from status and attributes (the span has no failhop marks)"
	}
	if skew := a.skewAbove(s); skew != "" {
		a.notes = appendOnce(a.notes, skew)
		if o.confidence == High {
			o.confidence, o.reason = Medium, skew
		}
	}
	return o
}

// syncChildren returns the children that the span waited for, in the
// order they started: not FOLLOWS_FROM, not consumers, and not started after
// it ended (fire and forget) within the same service.
func (a *analysis) syncChildren(s *Span) []*Span {
	var out []*Span
	for _, c := range a.children[s] {
		if c.FollowsFrom || c.Kind == KindConsumer {
			continue
		}
		if c.Service == s.Service && !s.End.IsZero() && c.Start.After(s.End) {
			continue
		}
		out = append(out, c)
	}
	slices.SortFunc(out, byStart)
	return out
}

// failingChildren returns the synchronous children that failed and were not
// recovered by a later retry of the same operation. When there are none,
// it returns the children that gave no verdict of their own (see
// passesThrough) but have such a failure below them: the walk goes through
// those to it. A failed child beats a failure below a silent one, which
// may have been swallowed there (a cache miss with a fallback).
func (a *analysis) failingChildren(s *Span) []*Span {
	children := a.syncChildren(s)
	var out []*Span
	var succeeded map[callKey]bool // the calls that succeeded later on
	for i, c := range slices.Backward(children) {
		switch {
		case !Failed(c):
			if i > 0 { // a failed sibling may come before it
				if succeeded == nil {
					succeeded = map[callKey]bool{}
				}
				succeeded[keyOf(c)] = true
			}
		case succeeded == nil || !succeeded[keyOf(c)]:
			out = append(out, c)
		}
	}
	if len(out) > 0 {
		slices.Reverse(out)
		return out
	}
	for _, c := range children {
		if passesThrough(c) && a.failsBelow(c) {
			out = append(out, c)
		}
	}
	return out
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

// failsBelow reports whether a span that passes through has a failing
// child (through other such spans), memoized so that a deep chain of them
// is looked at once.
func (a *analysis) failsBelow(s *Span) bool {
	if v, ok := a.failing[s]; ok {
		return v
	}
	if a.failing == nil {
		a.failing = map[*Span]bool{} // most traces never need it
	}
	a.failing[s] = false // a cycle in broken data ends here
	v := len(a.failingChildren(s)) > 0
	a.failing[s] = v
	return v
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
		k.operation, k.address = clientOperation(s), address(s)
	}
	return k
}

// sameCall reports whether two spans are the same operation (see callKey).
func sameCall(x, y *Span) bool { return keyOf(x) == keyOf(y) }

func (a *analysis) hasServerChild(s *Span) bool {
	for _, c := range a.children[s] {
		if c.Kind == KindServer {
			return true
		}
	}
	return false
}

// refineTimeouts follows a timeout into the callee: the span on the
// callee's critical path that took the time is the likely root cause. The
// timeout may be the caller's client span (it gave up) or a span that
// answered 504 or DEADLINE_EXCEEDED with no failed span under it: a proxy
// or gateway whose callee, showing no error, kept running past it. A
// callee that started inside its caller's span and ended after it outlived
// a caller that gave up; one that started outside it is clock skew (noted
// on the path), and its timing says nothing.
func (a *analysis) refineTimeouts(origins []origin) []origin {
	for i, o := range origins {
		if o.cause != vocab.CauseTimeout {
			continue
		}
		slow, below := a.criticalPath(o.span)
		if slow == o.span {
			if o.span.Kind == KindClient && len(a.syncChildren(o.span)) == 0 {
				o.confidence, o.reason = Medium, "the called service sent no spans, so what made it slow is not visible"
				origins[i] = o
			}
			continue
		}
		callee := below[0]
		for _, s := range below {
			if s.Service != o.span.Service {
				callee = s
				break
			}
		}
		refined := origin{
			span:       slow,
			cause:      vocab.CauseTimeout,
			confidence: Medium,
			reason: fmt.Sprintf("%s gave up after %s; on the critical path of %s, this span took %s",
				o.span.Service, round(o.span.Duration()), callee.Service, round(slow.Duration())),
		}
		switch {
		case a.outlived(callee, o.span):
			refined.reason = fmt.Sprintf("%s gave up after %s while %s ran on for %s; on its critical path, this span took %s",
				o.span.Service, round(o.span.Duration()), callee.Service, round(callee.Duration()), round(slow.Duration()))
		case !Failed(slow) && !Failed(callee):
			refined.confidence = Low
			refined.reason += " and shows no error"
		}
		if skew := a.skewAbove(slow); skew != "" {
			a.notes = appendOnce(a.notes, skew)
			refined.confidence, refined.reason = Low, skew
		}
		if a.incomplete != "" {
			refined.confidence, refined.reason = Low, "the trace is incomplete: "+a.incomplete
		}
		origins[i] = refined
	}
	return origins
}

// outlived reports whether callee started within caller's span but ended
// after it (beyond the clock tolerance): the caller gave up on it.
func (a *analysis) outlived(callee, caller *Span) bool {
	if callee.Start.IsZero() || caller.End.IsZero() {
		return false
	}
	return !callee.Start.Before(caller.Start.Add(-skewTolerance)) && !callee.Start.After(caller.End.Add(skewTolerance)) &&
		callee.End.Sub(caller.End) > skewTolerance
}

// criticalPath descends from s into the child that took the longest, as
// long as that child accounts for at least half of its parent's time, and
// returns the span where the time was spent and the spans below s down to
// it.
func (a *analysis) criticalPath(s *Span) (*Span, []*Span) {
	var path []*Span
	for {
		var next *Span
		for _, c := range a.syncChildren(s) {
			if next == nil || c.Duration() > next.Duration() {
				next = c
			}
		}
		if next == nil || next.Duration()*2 < s.Duration() {
			return s, path
		}
		s = next
		path = append(path, s)
	}
}

// nonFatal returns the errors the request survived: failed spans without a
// failed synchronous child, off the path of the fatal failure. In a failed
// request, a canceled one is a consequence of the failure.
func (a *analysis) nonFatal(onPath map[*Span]bool, failed bool) []origin {
	var spans []*Span
	for _, s := range a.failed {
		if !onPath[s] {
			spans = append(spans, s)
		}
	}
	slices.SortFunc(spans, byStart)
	var out []origin
	for _, s := range spans {
		if len(a.failingChildren(s)) > 0 {
			continue
		}
		o := origin{span: s, cause: causeOf(s, a.syncChildren(s)), confidence: High}
		switch {
		case s.FollowsFrom || s.Kind == KindConsumer:
			o.reason = "asynchronous: it cannot have failed the request"
		case failed && o.cause == vocab.CauseCanceled:
			o.reason = "canceled when the request failed elsewhere: a consequence, not a cause"
		}
		out = append(out, o)
	}
	return out
}

// path returns the steps from the root (or the highest known ancestor)
// down to s, folded when longer than maxPathSteps, and how many steps the
// fold left out.
func (a *analysis) path(s *Span) (steps []Step, omitted int) {
	depth := 0
	for p := s; p != nil; p = a.parent(p) {
		depth++
	}
	if depth > maxPathSteps {
		omitted = depth - maxPathSteps
	}
	steps = make([]Step, min(depth, maxPathSteps))
	i := depth - 1 // s's index on the whole path
	for p := s; p != nil; p = a.parent(p) {
		switch {
		case i >= pathHead+omitted:
			steps[i-omitted] = step(p)
		case i < pathHead:
			steps[i] = step(p)
		}
		i--
	}
	return steps, omitted
}

// skewAbove describes the first clock skew between two services on the
// path from the root to s: a child that starts before its parent starts or
// after it ended, beyond a tolerance. The answers for the spans above are
// memoized, so that the origins and errors of a deep trace cost one walk
// up in all.
func (a *analysis) skewAbove(s *Span) string {
	p := a.parent(s)
	if p == nil {
		return ""
	}
	v, ok := a.skew[p]
	if !ok {
		if a.skew == nil {
			a.skew = map[*Span]string{}
		}
		v = a.skewAbove(p)
		a.skew[p] = v
	}
	return cmp.Or(v, skewBetween(p, s))
}

// skewBetween describes clock skew between a parent and a child in another
// service, or returns "".
func skewBetween(p, c *Span) string {
	if p.Service == c.Service || p.Start.IsZero() || c.Start.IsZero() || c.FollowsFrom {
		return ""
	}
	// A callee may end after its caller gave up (a timeout), so only the
	// start tells skew.
	if p.Start.Sub(c.Start) > skewTolerance || (!p.End.IsZero() && c.Start.Sub(p.End) > skewTolerance) {
		return fmt.Sprintf("clock skew: %s's span %q lies outside its caller %s's span %q; timings across them are not reliable", c.Service, c.Name, p.Service, p.Name)
	}
	return ""
}

// hops turns origins into ranked hops, merging repeats of the same hop,
// and lists at most maxListed (a note counts the others). Of fatal ones,
// repeats of one call, each after the previous ended, are its attempts
// (errors the request survived were not all of its attempts).
func (a *analysis) hops(origins []origin, fatal bool) []Hop {
	preferred := ""
	if a.root != nil {
		preferred = a.root.Attr(vocab.KeyOriginSpanID)
	}
	slices.SortStableFunc(origins, func(x, y origin) int {
		return cmp.Or(
			boolRank(x.span.SpanID == preferred, y.span.SpanID == preferred),
			boolRank(x.cause != vocab.CauseCanceled, y.cause != vocab.CauseCanceled),
			x.span.End.Compare(y.span.End),
		)
	})
	// Each origin's hop, numbered in rank order; the origins of the
	// listed hops.
	type hopKey struct {
		ends  hopEnds
		cause vocab.Cause
	}
	index := map[hopKey]int{} // the listed hops only
	var merged [][]origin     // their origins
	unlisted := 0             // origins on other hops
	for _, o := range origins {
		key := hopKey{a.ends(o), o.cause}
		h, ok := index[key]
		switch {
		case ok:
			merged[h] = append(merged[h], o)
		case len(merged) < maxListed:
			index[key] = len(merged)
			merged = append(merged, []origin{o})
		default:
			unlisted++
		}
	}
	if unlisted > 0 {
		what := "errors the request survived"
		if fatal {
			what = "failed spans"
		}
		a.notes = append(a.notes, fmt.Sprintf("%d more %s, on hops not listed (only the first %d hops are)", unlisted, what, maxListed))
	}
	hops := make([]Hop, len(merged))
	for i, os := range merged {
		o, attempts := os[0], 0
		if fatal && len(os) > 1 {
			if last, ok := lastAttempt(os); ok {
				// The same call failed again after each attempt ended: a
				// retry, every time the same way. The hop is the last
				// attempt.
				o, attempts = last, len(os)
			}
		}
		hops[i] = a.hop(o)
		hops[i].Rank, hops[i].Count, hops[i].Attempts = i+1, len(os), attempts
	}
	return hops
}

// lastAttempt returns the last of origins when they are attempts of one
// call, each started after the one before ended; not when they ran in
// parallel (the hop then stays the first to fail).
func lastAttempt(origins []origin) (origin, bool) {
	os := slices.Clone(origins)
	slices.SortFunc(os, func(x, y origin) int { return byStart(x.span, y.span) })
	for j := 1; j < len(os); j++ {
		if !attempt(os[j-1].span, os[j].span) || !sameCall(os[j-1].span, os[j].span) {
			return origin{}, false
		}
	}
	return os[len(os)-1], true
}

// attempt reports whether later started after earlier ended: tried
// again, not in parallel.
func attempt(earlier, later *Span) bool {
	return !earlier.End.IsZero() && !later.Start.Before(earlier.End)
}

// boolRank orders true before false.
func boolRank(x, y bool) int {
	switch {
	case x == y:
		return 0
	case x:
		return -1
	}
	return 1
}

// hopEnds are the two ends of a hop and its operation (see Hop).
type hopEnds struct{ from, to, operation string }

func (e hopEnds) description() string {
	switch {
	case e.to == "":
		return e.from + ": " + e.operation
	case e.from == "":
		return e.to + " " + e.operation
	}
	return e.from + " → " + e.to + " " + e.operation
}

// ends names the two ends of an origin's hop and its operation.
func (a *analysis) ends(o origin) hopEnds {
	s := o.span
	e := hopEnds{from: s.Service, operation: s.Name}
	if o.cause == vocab.CauseBadResponse && s.Kind != KindClient {
		// The span that found the answer unusable is the origin; the hop
		// is the call that brought the answer.
		if c := a.lastCall(s); c != nil {
			s = c
		}
	}
	switch {
	case isDB(s):
		e.to = cmp.Or(s.Attr("db.system.name"), s.Attr("db.system"), "database")
	case s.Kind == KindClient || s.Kind == KindProducer:
		e.to = a.peer(s)
		e.operation = clientOperation(s)
	case s.Kind == KindServer:
		e.from, e.to = "", s.Service
		if p := a.parent(s); p != nil && p.Service != s.Service {
			e.from = p.Service
		}
	}
	return e
}

// hop describes an origin for people.
func (a *analysis) hop(o origin) Hop {
	s := o.span
	e := a.ends(o)
	h := Hop{
		SpanID:         s.SpanID,
		Service:        s.Service,
		ServiceVersion: stringOf(s.Resource["service.version"]),
		From:           e.from,
		To:             e.to,
		Operation:      e.operation,
		Description:    e.description(),
		Cause:          o.cause,
		Message:        message(s),
		Stack:          a.stack(s),
		Hint:           o.cause.Hint(),
		Confidence:     o.confidence,
		Reason:         o.reason,
	}
	h.Path, h.PathOmitted = a.path(s)
	return h
}

// lastCall returns the client span under s, in its service, that ended
// last before s did.
func (a *analysis) lastCall(s *Span) *Span {
	var last *Span
	var walk func(*Span)
	walk = func(p *Span) {
		for _, c := range a.syncChildren(p) {
			if c.Service != s.Service {
				continue
			}
			if c.Kind == KindClient && !isDB(c) && (last == nil || c.End.After(last.End)) {
				last = c
			}
			walk(c)
		}
	}
	walk(s)
	return last
}

// peer names what a client span called: the service of its server child,
// else what the span says of its peer (address).
func (a *analysis) peer(s *Span) string {
	for _, c := range a.children[s] {
		if c.Kind == KindServer || c.Kind == KindConsumer {
			return c.Service
		}
	}
	return address(s)
}

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

// clientOperation names an HTTP call by method and path (never the query,
// which may hold secrets), and other calls by their span name.
func clientOperation(s *Span) string {
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

// stack returns the stack trace recorded at the origin or, failing that,
// on the nearest span above it in the same service (where RecordError put
// the error the handler returned), looking at most stackSearch spans up.
func (a *analysis) stack(origin *Span) string {
	s := origin
	for range stackSearch {
		if s == nil || s.Service != origin.Service {
			break
		}
		for _, e := range s.Events {
			if st := stringOf(e.Attributes["exception.stacktrace"]); st != "" {
				return st
			}
		}
		s = a.parent(s)
	}
	return ""
}

func step(s *Span) Step {
	return Step{SpanID: s.SpanID, Service: s.Service, Name: s.Name, Kind: s.Kind, Error: Failed(s)}
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

func round(d time.Duration) time.Duration {
	if d > time.Second {
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(100 * time.Microsecond)
}

func appendOnce(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
