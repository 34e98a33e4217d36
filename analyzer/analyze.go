package analyzer

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/failhop/failhop/vocab"
)

// MaxSpans is how many spans of a trace Analyze looks at: the earliest
// MaxSpans by start time. A bigger trace (a runaway loop, a batch job
// traced as one request) is analyzed in part, with a note and low
// confidence, so that time and memory stay bounded.
const MaxSpans = 100_000

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
// spans where the errors started, leaving out the failures a caller
// survived (it went on past them; see withoutSurvived). Each of those
// is a hop; fan-out gives several, ranked, and branches canceled because
// another one failed are consequences, not hops. A timeout is followed into the callee's critical
// path to the slow span, also when the callee outlived a caller that gave
// up (a proxy's 504). Attempts of a call that all failed the same way are
// one hop at the last attempt. The processing of a message the request
// waited for a reply to is one of its calls; the processing of any other
// message is a unit of work of its own, analyzed the same way from its
// entry span (Report.Units; see messaging.go).
func Analyze(t *Trace) Report {
	a := newAnalysis(t)
	r := Report{TraceID: t.TraceID, Hops: []Hop{}, NonFatal: []Hop{}, Units: []Unit{}, Notes: []string{}}
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
	r.Units = append(r.Units, a.units()...)
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
	failing    map[*Span]bool         // failsBelow's answers
	skew       map[*Span]string       // skewAbove's answers
	reached    []*Span                // the spans the analysis can reach, in pre-order
	subtree    map[*Span]subtreeRange // isBelow's index of reached, built when needed
	failed     []*Span                // the spans that failed, once each
	replied    map[*Span]bool         // requestReply's answers
	survived   map[*Span]string       // withoutSurvived's answers: why each was survived
	incomplete string                 // why the trace is incomplete, "" if it is not
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

// collectFailed lists the spans reachable from the spans the analysis can
// start from, in pre-order (a span, then its subtree), and of them the
// failed ones. Spans it cannot reach hang below a cycle of parent IDs
// (broken data): they are left out, so every span the analysis looks at
// has a finite chain of parents.
func (a *analysis) collectFailed(tops []*Span) {
	stack := slices.Clone(tops)
	slices.Reverse(stack)
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		a.reached = append(a.reached, s)
		if Failed(s) {
			a.failed = append(a.failed, s)
		}
		n := len(stack)
		stack = append(stack, a.children[s]...)
		slices.Reverse(stack[n:]) // the first child on top
	}
	reached := len(a.reached)
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

// subtreeRange is where a reached span and its subtree sit in the
// pre-order.
type subtreeRange struct{ at, size int }

// isBelow reports whether s is a descendant of ancestor, in constant time
// once the pre-order index is built (in linear time, the first time it is
// asked): walking up from s would cost the depth at each question, and
// never end for a span below a cycle of parent IDs.
func (a *analysis) isBelow(s, ancestor *Span) bool {
	if a.subtree == nil {
		a.subtree = make(map[*Span]subtreeRange, len(a.reached))
		for i, r := range a.reached {
			a.subtree[r] = subtreeRange{at: i, size: 1}
		}
		for _, r := range slices.Backward(a.reached) {
			size := 1
			for _, c := range a.children[r] {
				size += a.subtree[c].size
			}
			a.subtree[r] = subtreeRange{at: a.subtree[r].at, size: size}
		}
	}
	x, okX := a.subtree[s]
	y, okY := a.subtree[ancestor]
	return okX && okY && y.at < x.at && x.at < y.at+y.size
}

func (a *analysis) newOrigin(s *Span) origin {
	o := origin{span: s, cause: causeOf(s, a.syncChildren(s)), confidence: High}
	switch {
	case a.incomplete != "":
		o.confidence, o.reason = Low, incompleteReason+a.incomplete
	case s.Bool(vocab.KeyPropagated) && !s.Bool(vocab.KeyOrigin):
		// The kit marked the span as passing on a failure from below, and
		// nothing below it failed here: those spans are missing (dropped
		// by an overloaded collector, or not exported yet), and the span
		// is only where the failure was last seen.
		o.confidence, o.reason = Low, incompleteReason+"this span says the failure came from a span below it, which is not in the trace (spans dropped, or not exported yet)"
		a.notes = appendOnce(a.notes, incompleteReason+s.Service+" "+strconv.Quote(s.Name)+" passed on a failure from spans that are not in the trace")
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
// order they started: not asynchronous (FOLLOWS_FROM, or the processing of
// a message it did not wait for a reply to), and not started after it
// ended (fire and forget) within the same service.
func (a *analysis) syncChildren(s *Span) []*Span {
	var out []*Span
	for _, c := range a.children[s] {
		if a.asynchronous(c) {
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
// may have been swallowed there (a cache miss with a fallback). Of
// either, those s survived (see withoutSurvived) are left out.
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
		if fatal := a.withoutSurvived(s, out); len(fatal) > 0 {
			return fatal
		}
		out = nil
	}
	for _, c := range children {
		if passesThrough(c) && a.failsBelow(c) {
			out = append(out, c)
		}
	}
	return a.withoutSurvived(s, out)
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
			if o.span.Kind == KindClient && len(a.syncChildren(o.span)) == 0 && a.incomplete == "" {
				// The callee's spans may be what the trace lacks: then it
				// stays incomplete, low.
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
			refined.confidence, refined.reason = Low, incompleteReason+a.incomplete
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
		case a.inUnit(s):
			o.reason = "asynchronous: it cannot have failed the request"
		case failed && o.cause == vocab.CauseCanceled:
			o.reason = "canceled when the request failed elsewhere: a consequence, not a cause"
		default:
			o.reason = a.survivedReason(s)
		}
		out = append(out, o)
	}
	return out
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
	// A message is processed whenever the broker delivers it, so only a
	// consumer that starts before its producer tells skew.
	late := !p.End.IsZero() && c.Start.Sub(p.End) > skewTolerance && !processesMessage(c)
	if p.Start.Sub(c.Start) > skewTolerance || late {
		return fmt.Sprintf("clock skew: %s's span %q lies outside its caller %s's span %q; timings across them are not reliable", c.Service, c.Name, p.Service, p.Name)
	}
	return ""
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
