package analyzer

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/failhop/failhop/vocab"
)

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
	// The origins of each listed hop, in rank order; the others are
	// counted.
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
		e.operation = a.callName(s)
	case s.Kind == KindServer || s.Kind == KindConsumer:
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
		Evidence:       keyAttributes(s),
		CallSite:       callSite(s),
		Stack:          a.stack(s),
		Hint:           o.cause.Hint(),
		Confidence:     o.confidence,
		Reason:         o.reason,
	}
	if call := clientCall(s); (s.Kind == KindClient || s.Kind == KindProducer) && call != e.operation {
		h.Example = call
	}
	h.Path, h.PathOmitted = a.path(s)
	return h
}

// callName names an outbound call for its hop: a name that stays the same
// across requests, so that one outage is one group (and one series of
// the failure metrics), not one per ID in a URL. An HTTP call is named by
// its method and URL template: the url.template the caller set, else the
// http.route of the server span that answered it, else the method alone
// (the raw path is the hop's Example). Other calls keep their span name,
// which the semantic conventions keep low in cardinality.
func (a *analysis) callName(s *Span) string {
	method := cmp.Or(s.Attr("http.request.method"), s.Attr("http.method"))
	if method == "" {
		return s.Name
	}
	if t := s.Attr("url.template"); t != "" {
		return method + " " + t
	}
	for _, c := range a.children[s] {
		if r := c.Attr("http.route"); c.Kind == KindServer && r != "" {
			return method + " " + r
		}
	}
	return method
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
