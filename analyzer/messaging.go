package analyzer

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// This file holds the rules for messaging: which message-processing spans
// the request waited for (request-reply), and which are the entries of
// units of work of their own (fire-and-forget), analyzed like requests.

// Unit is a unit of work of its own in a trace: the processing of a
// message that the request did not wait for (a consumer span and what it
// did), analyzed like a request.
type Unit struct {
	// Entry is the span that processed the message: the unit's root.
	Entry Step `json:"entry"`
	// Start is when the entry span started.
	Start time.Time `json:"start"`
	// Failed says whether the entry span failed: the message's processing
	// failed (a consumer that threw, or nacked the message).
	Failed bool `json:"failed"`
	// Hops are the failing hops that explain the unit's failure, the most
	// likely first. Empty when Failed is false.
	Hops []Hop `json:"hops"`
}

// maxReplySearch is how many spans below a message-processing span
// requestReply looks at for the caller's receipt of the reply.
const maxReplySearch = 1000

// processesMessage reports whether s is the processing of a message: a
// consumer span, or a span whose messaging.operation.type (or the older
// messaging.operation) is process or receive.
func processesMessage(s *Span) bool {
	if s.Kind == KindConsumer {
		return true
	}
	switch cmp.Or(s.Attr("messaging.operation.type"), s.Attr("messaging.operation")) {
	case "process", "receive":
		return true
	}
	return false
}

// asynchronous reports whether the parent of s did not wait for it: a
// FOLLOWS_FROM child, or the processing of a message the caller did not
// wait for a reply to (see requestReply).
func (a *analysis) asynchronous(s *Span) bool {
	if processesMessage(s) {
		return !a.requestReply(s)
	}
	return s.FollowsFrom
}

// requestReply reports whether the processing of a message, s, was one
// the caller waited for: s ran inside the caller's span (the span that
// published the message, above its producer span), and the reply reached
// the caller while it waited: a message-processing span of the caller's
// service below s (the reply's consumer) started before the caller's span
// ended. Then the consumer's failure can be the caller's origin. Answers
// are memoized: the walk asks about a span more than once.
func (a *analysis) requestReply(s *Span) bool {
	if v, ok := a.replied[s]; ok {
		return v
	}
	if a.replied == nil {
		a.replied = map[*Span]bool{}
	}
	a.replied[s] = false // a cycle in broken data ends here
	v := a.waitedFor(s)
	a.replied[s] = v
	return v
}

// publisher returns the span that published the message s processed:
// the parent of its producer span, else its parent; nil at the top.
func (a *analysis) publisher(s *Span) *Span {
	p := a.parent(s)
	if p != nil && p.Kind == KindProducer && a.parent(p) != nil {
		p = a.parent(p)
	}
	return p
}

func (a *analysis) waitedFor(s *Span) bool {
	caller := a.publisher(s)
	if caller == nil || s.Start.IsZero() || caller.End.IsZero() ||
		s.Start.Before(caller.Start.Add(-skewTolerance)) || s.End.After(caller.End.Add(skewTolerance)) {
		return false
	}
	stack := slices.Clone(a.children[s])
	for seen := 0; len(stack) > 0 && seen < maxReplySearch; seen++ {
		d := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if d.Service == caller.Service && processesMessage(d) && !d.Start.After(caller.End.Add(skewTolerance)) {
			return true
		}
		stack = append(stack, a.children[d]...)
	}
	return false
}

// unitEntry reports whether s is the entry of a unit of work of its own:
// the processing of a message that its caller did not wait for, not the
// trace's root (which is the request), and not the processing step of a
// message its parent, in the same service, received, nor the receipt of a
// reply.
func (a *analysis) unitEntry(s *Span) bool {
	if s == a.root || !processesMessage(s) || a.requestReply(s) || a.reply(s) {
		return false
	}
	p := a.parent(s)
	return p == nil || p.Service != s.Service || !processesMessage(p)
}

// reply reports whether s is the caller's receipt of the reply to a
// request-reply message: it processes a message that a consumer the caller
// waited for published, in the caller's service. It is part of the
// caller's request.
func (a *analysis) reply(s *Span) bool {
	c := a.publisher(s)
	if c == nil || !processesMessage(c) || !a.requestReply(c) {
		return false
	}
	caller := a.publisher(c)
	return caller != nil && caller.Service == s.Service
}

// inUnit reports whether s is part of a unit of work of its own: it or a
// span above it is a unit's entry.
func (a *analysis) inUnit(s *Span) bool {
	for p := s; p != nil && p != a.root; p = a.parent(p) {
		if p.FollowsFrom || a.unitEntry(p) {
			return true
		}
	}
	return false
}

// units analyzes each unit of work in the trace like a request, and
// returns them in the order they started, the failed ones first, at most
// maxListed (a note counts the others).
func (a *analysis) units() []Unit {
	var out []Unit
	for _, s := range a.reached {
		if !a.unitEntry(s) {
			continue
		}
		u := Unit{Entry: step(s), Start: s.Start, Failed: Failed(s), Hops: []Hop{}}
		if u.Failed {
			fatal := a.explain(s, nil)
			fatal = a.refineTimeouts(fatal)
			u.Hops = a.hops(withoutConsequences(fatal), true)
		}
		out = append(out, u)
	}
	slices.SortStableFunc(out, func(x, y Unit) int {
		return cmp.Or(boolRank(x.Failed, y.Failed), x.Start.Compare(y.Start))
	})
	if len(out) > maxListed {
		a.notes = append(a.notes, fmt.Sprintf("%d more units of work, not listed (only the first %d are)", len(out)-maxListed, maxListed))
		out = out[:maxListed]
	}
	return out
}
