package otlpconv

import (
	"slices"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Entry returns the service and name of the span analyzer.Analyze starts
// a trace at (its Report.Root) without converting the trace: the earliest
// span without a parent, else the earliest whose parent is not in the
// trace, earliest by start time, then span ID, the first of spans that
// share an ID counting. ok is false for a trace with no such span. td
// holds one trace; traces of analyzer.MaxSpans spans or more must be
// analyzed instead, as only their first spans are.
func Entry(td ptrace.Traces) (service, name string, ok bool) {
	// The usual trace has its root: the earliest span without a parent,
	// found in one pass with no allocation, unless a span before it in td
	// has its ID (then it does not count, and the general way decides).
	var root ptrace.Span
	var rootService pcommon.Value
	found, at, i := false, 0, 0
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, s := range ss.Spans().All() {
				if s.ParentSpanID().IsEmpty() && (!found || earlier(s, root)) {
					root, found, at = s, true, i
					rootService, _ = rs.Resource().Attributes().Get("service.name")
				}
				i++
			}
		}
	}
	if found && !idBefore(td, root.SpanID(), at) {
		return rootService.AsString(), root.Name(), true
	}
	return entryOfAll(td)
}

// idBefore reports whether one of the first n spans of td has the ID id.
func idBefore(td ptrace.Traces, id pcommon.SpanID, n int) bool {
	i := 0
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, s := range ss.Spans().All() {
				if i == n {
					return false
				}
				if s.SpanID() == id {
					return true
				}
				i++
			}
		}
	}
	return false
}

// entryOfAll is Entry for a trace without a root, or with spans that
// share IDs: every span is looked at, as the analyzer does.
func entryOfAll(td ptrace.Traces) (service, name string, ok bool) {
	type candidate struct {
		span    ptrace.Span
		service string
	}
	ids := map[pcommon.SpanID]bool{}
	var roots, orphans []candidate
	for _, rs := range td.ResourceSpans().All() {
		svc, _ := rs.Resource().Attributes().Get("service.name")
		for _, ss := range rs.ScopeSpans().All() {
			for _, s := range ss.Spans().All() {
				if ids[s.SpanID()] {
					continue // a duplicate ID: the first span with it counts
				}
				ids[s.SpanID()] = true
				c := candidate{s, svc.AsString()}
				if s.ParentSpanID().IsEmpty() {
					roots = append(roots, c)
				} else {
					orphans = append(orphans, c)
				}
			}
		}
	}
	if len(roots) == 0 {
		orphans = slices.DeleteFunc(orphans, func(c candidate) bool { return ids[c.span.ParentSpanID()] })
		roots = orphans
	}
	if len(roots) == 0 {
		return "", "", false
	}
	first := roots[0]
	for _, c := range roots[1:] {
		if earlier(c.span, first.span) {
			first = c
		}
	}
	return first.service, first.span.Name(), true
}

// earlier orders spans as analyzer's byStart does: by start, then span ID.
func earlier(x, y ptrace.Span) bool {
	if x.StartTimestamp() != y.StartTimestamp() {
		return x.StartTimestamp() < y.StartTimestamp()
	}
	return strings.Compare(x.SpanID().String(), y.SpanID().String()) < 0
}
