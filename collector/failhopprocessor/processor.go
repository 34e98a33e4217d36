package failhopprocessor

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/failhop/failhop/analyzer"
	"github.com/failhop/failhop/analyzer/otlpconv"
	"github.com/failhop/failhop/collector/internal/analyses"
	"github.com/failhop/failhop/vocab"
)

type failhop struct {
	seen *recentTraces
	tel  *telemetry
}

func (p *failhop) processTraces(ctx context.Context, td ptrace.Traces) (ptrace.Traces, error) {
	p.tel.record(ctx, mark(td, p.seen))
	return td, nil
}

// Mark analyzes every failed trace in td and writes the marks onto its
// spans, in place. It returns how many traces it marked. td should hold
// whole traces (see the package doc); spans of several traces may be
// mixed, in any order.
func Mark(td ptrace.Traces) int { return mark(td, nil).marked }

// outcome is what mark did with a batch.
type outcome struct {
	analyzed int // traces analyzed
	marked   int // of those, marked (their request or a unit of work failed)
	late     int // traces skipped: already processed, these are late spans
	// of the marked, those that lacked spans the analysis needed (evicted
	// or dropped before it): marked with low confidence
	incomplete int
	took       []time.Duration // each analysis
}

// mark is Mark, skipping the traces that seen says were already processed:
// their spans in td came after the trace was released (tail sampling
// forwards late spans one batch at a time), and a part of a trace cannot
// tell what broke the whole request. A nil seen skips nothing.
func mark(td ptrace.Traces, seen *recentTraces) outcome {
	failing, batch := findFailing(td, seen != nil)
	// Remembered after the analysis, which must not take this batch for late
	// spans.
	defer seen.add(batch)
	if failing == nil {
		return outcome{}
	}
	// The spans come from one arena; the attribute maps from a pool,
	// returned when done.
	c := otlpconv.NewConverter(td.SpanCount())
	defer c.Release()
	groupFailing(td, failing, seen, c)
	return analyzeFailing(failing, seen)
}

// findFailing is pass 1: it clears the marks a service may have set, and
// finds the traces that have a failed span (without one, the root cannot
// have failed), as keys of a map with no groups yet; nil if none. With
// listTraces it also returns every trace of td, to remember after.
func findFailing(td ptrace.Traces, listTraces bool) (map[pcommon.TraceID]*group, []pcommon.TraceID) {
	var failing map[pcommon.TraceID]*group
	var test otlpconv.FailureTest
	var batch []pcommon.TraceID
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				s := spans.At(k)
				clearMarks(s.Attributes())
				if n := len(batch); listTraces && (n == 0 || batch[n-1] != s.TraceID()) {
					batch = append(batch, s.TraceID()) // a trace's spans mostly come together
				}
				if test.Failed(s) {
					if failing == nil {
						failing = make(map[pcommon.TraceID]*group, 1)
					}
					failing[s.TraceID()] = nil
				}
			}
		}
	}
	return failing, batch
}

// groupFailing is pass 2: it gathers the spans of each failing trace into
// its group and, unless failhop_sampler analyzed the trace already,
// converts them for the analyzer.
func groupFailing(td ptrace.Traces, failing map[pcommon.TraceID]*group, seen *recentTraces, c *otlpconv.Converter) {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		var res *otlpconv.Resource
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			scope := sss.At(j).Scope()
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				s := spans.At(k)
				g, ok := failing[s.TraceID()]
				if !ok {
					continue
				}
				if g == nil {
					g = newGroup(s.TraceID(), seen)
					failing[s.TraceID()] = g
				}
				if !g.analyzed {
					if res == nil {
						res = c.Resource(rs.Resource().Attributes())
					}
					g.trace.Spans = append(g.trace.Spans, c.Span(s, res, scope))
				}
				g.spans = append(g.spans, s)
			}
		}
	}
}

// newGroup starts the group of a failing trace, with failhop_sampler's
// analysis of it if there is one.
func newGroup(tid pcommon.TraceID, seen *recentTraces) *group {
	g := &group{trace: analyzer.Trace{TraceID: tid.String()}}
	if !seen.contains(tid) {
		// failhop_sampler analyzed it as tail sampling decided it, a
		// moment ago.
		g.report, g.analyzed = analyses.Take(tid)
	}
	return g
}

// analyzeFailing analyzes and marks the failing traces seen for the first
// time.
func analyzeFailing(failing map[pcommon.TraceID]*group, seen *recentTraces) outcome {
	var out outcome
	for tid, g := range failing {
		if seen.contains(tid) {
			out.late++
			continue
		}
		r := g.report
		if !g.analyzed {
			start := time.Now()
			r = analyzer.Analyze(&g.trace)
			out.took = append(out.took, time.Since(start))
		}
		out.analyzed++
		if g.mark(r) {
			out.marked++
			if slices.ContainsFunc(r.Hops, analyzer.Hop.Incomplete) {
				out.incomplete++
			}
		}
	}
	return out
}

// group is one trace: its spans in pdata and, unless failhop_sampler
// analyzed it already (report), the same spans for the analyzer, index
// for index.
type group struct {
	trace    analyzer.Trace
	spans    []ptrace.Span
	report   analyzer.Report
	analyzed bool // report is failhop_sampler's analysis
}

// mark writes the report's marks onto the trace's spans, in one pass: the
// origins of the failed request and of each failed unit of work
// (failhop.root_cause), and the first failing hop on the request's root
// and on each failed unit's entry span (failhop.failing_hop). Of spans
// that share an ID (broken data), only the first is marked: the one the
// analyzer read. It reports whether anything failed.
func (g *group) mark(r analyzer.Report) bool {
	rank := map[string]int{}
	entries := map[string][]analyzer.Hop{} // span ID → the hops it is the entry of
	add := func(entry string, hops []analyzer.Hop) {
		for _, h := range slices.Backward(hops) {
			rank[h.SpanID] = h.Rank // a span that is two hops keeps its best rank
		}
		if _, ok := entries[entry]; !ok {
			entries[entry] = hops
		}
	}
	if r.Failed && len(r.Hops) > 0 {
		add(r.Root.SpanID, r.Hops)
	}
	for _, u := range r.Units {
		if u.Failed && len(u.Hops) > 0 {
			add(u.Entry.SpanID, u.Hops)
		}
	}
	if len(entries) == 0 {
		return false
	}
	for _, s := range g.spans {
		id := s.SpanID().String()
		if n, ok := rank[id]; ok {
			attrs := s.Attributes()
			attrs.PutBool(vocab.KeyRootCause, true)
			attrs.PutInt(vocab.KeyRootCauseRank, int64(n))
			delete(rank, id)
		}
		if hops, ok := entries[id]; ok {
			putFailingHop(s.Attributes(), hops[0])
			delete(entries, id)
		}
	}
	return true
}

// putFailingHop names the first failing hop on an entry span.
func putFailingHop(attrs pcommon.Map, h analyzer.Hop) {
	attrs.PutStr(vocab.KeyFailingHop, h.Description)
	attrs.PutStr(vocab.KeyFailingHopCause, string(h.Cause))
	attrs.PutStr(vocab.KeyFailingHopConfidence, string(h.Confidence))
	if h.Reason != "" {
		attrs.PutStr(vocab.KeyFailingHopReason, h.Reason)
	}
}

// clearMarks removes the processor's own keys from a span's attributes.
func clearMarks(attrs pcommon.Map) {
	found := false
	attrs.Range(func(k string, _ pcommon.Value) bool {
		found = isMark(k)
		return !found
	})
	if found {
		attrs.RemoveIf(func(k string, _ pcommon.Value) bool { return isMark(k) })
	}
}

func isMark(k string) bool {
	if !strings.HasPrefix(k, "failhop.") {
		return false
	}
	switch k {
	case vocab.KeyRootCause, vocab.KeyRootCauseRank, vocab.KeyFailingHop, vocab.KeyFailingHopCause, vocab.KeyFailingHopConfidence, vocab.KeyFailingHopReason:
		return true
	}
	return false
}

// recentTraces remembers the IDs of the last traces the processor saw, at
// most a fixed number, the oldest forgotten first. It is safe for
// concurrent use; a nil *recentTraces remembers nothing.
type recentTraces struct {
	mu   sync.Mutex
	ids  map[pcommon.TraceID]struct{}
	ring []pcommon.TraceID // insertion order, to forget the oldest
	next int
}

// rememberedTraces is how many trace IDs the processor remembers: as many
// as tail sampling holds by default (num_traces), so that a trace's late
// spans are recognised while they can still come.
const rememberedTraces = 100_000

func newRecentTraces(n int) *recentTraces {
	return &recentTraces{ids: make(map[pcommon.TraceID]struct{}, n), ring: make([]pcommon.TraceID, 0, n)}
}

func (r *recentTraces) contains(id pcommon.TraceID) bool {
	if r == nil {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.ids[id]
	return ok
}

// add remembers ids (repeats are fine).
func (r *recentTraces) add(ids []pcommon.TraceID) {
	if r == nil || len(ids) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range ids {
		if _, ok := r.ids[id]; ok {
			continue
		}
		if len(r.ring) < cap(r.ring) {
			r.ring = append(r.ring, id)
		} else {
			delete(r.ids, r.ring[r.next])
			r.ring[r.next] = id
			r.next = (r.next + 1) % len(r.ring)
		}
		r.ids[id] = struct{}{}
	}
}
