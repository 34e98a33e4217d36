package analyzer_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/failhop/failhop/analyzer"
	"github.com/failhop/failhop/internal/devstack/tracetest"
)

// allocated returns the bytes f allocated.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// maxAllocated is the memory a 50,000-span trace may take to analyze.
const maxAllocated = 50 << 20

// TestHugeTraces analyzes the shapes that once took memory with the depth
// squared (a deep chain) and time with hops times spans (a wide fan-out),
// in bounded memory and with bounded reports.
func TestHugeTraces(t *testing.T) {
	t.Run("chain", func(t *testing.T) {
		tr := tracetest.Chain(50_000)
		var r analyzer.Report
		n := allocated(func() { r = analyzer.Analyze(tr) })
		t.Logf("a 50,000-span chain: %d MB allocated", n>>20)
		if n > maxAllocated {
			t.Errorf("analyzing a 50,000-span chain allocated %d MB, want < %d", n>>20, maxAllocated>>20)
		}
		if !r.Failed || len(r.Hops) != 1 {
			t.Fatalf("failed=%v, %d hops; want one", r.Failed, len(r.Hops))
		}
		h := r.Hops[0]
		if h.SpanID != tr.Spans[len(tr.Spans)-1].SpanID {
			t.Errorf("hop at span %s, want the deepest, %s", h.SpanID, tr.Spans[len(tr.Spans)-1].SpanID)
		}
		if len(h.Path) != 100 || h.PathOmitted != 49_900 || h.Path[0].SpanID != r.Root.SpanID || h.Path[99].SpanID != h.SpanID {
			t.Errorf("path of %d steps with %d omitted, want 100 (root first, origin last) and 49900", len(h.Path), h.PathOmitted)
		}
	})
	t.Run("fan-out", func(t *testing.T) {
		tr := tracetest.FanOut(50_000)
		var r analyzer.Report
		n := allocated(func() { r = analyzer.Analyze(tr) })
		t.Logf("a 50,000-span fan-out: %d MB allocated", n>>20)
		if n > maxAllocated {
			t.Errorf("analyzing a 50,000-span fan-out allocated %d MB, want < %d", n>>20, maxAllocated>>20)
		}
		if len(r.Hops) != 50 || r.Hops[0].Rank != 1 || r.Hops[49].Rank != 50 {
			t.Errorf("%d hops listed, want the first 50", len(r.Hops))
		}
		if !hasNote(r, "49949 more failed spans, on hops not listed") {
			t.Errorf("notes %q do not count the hops left out", r.Notes)
		}
	})
	t.Run("same-peer fan-out", func(t *testing.T) {
		tr := tracetest.FanOut(50_000)
		for _, s := range tr.Spans[1:] {
			s.Attributes["url.full"] = "http://peer/item"
		}
		r := analyzer.Analyze(tr)
		if len(r.Hops) != 1 || r.Hops[0].Count != 49_999 || r.Hops[0].Attempts != 0 {
			t.Errorf("hops %+v, want one hop seen 49999 times in parallel", r.Hops)
		}
	})
	t.Run("over MaxSpans", func(t *testing.T) {
		tr := tracetest.FanOut(analyzer.MaxSpans + 10)
		r := analyzer.Analyze(tr)
		if !hasNote(r, fmt.Sprintf("the trace has %d spans: only the %d", analyzer.MaxSpans+10, analyzer.MaxSpans)) {
			t.Errorf("notes %q do not say the trace was cut", r.Notes)
		}
		if len(r.Hops) == 0 || r.Hops[0].Confidence != analyzer.Low {
			t.Errorf("hops %+v, want low confidence", r.Hops)
		}
	})
}

func hasNote(r analyzer.Report, part string) bool {
	for _, n := range r.Notes {
		if strings.Contains(n, part) {
			return true
		}
	}
	return false
}

// TestBrokenParents: spans whose parent IDs form a cycle have no root to
// start from; a trace that is nothing else cannot be analyzed.
func TestBrokenParents(t *testing.T) {
	cycle := func(ids ...string) []*analyzer.Span {
		var spans []*analyzer.Span
		for i, id := range ids {
			spans = append(spans, &analyzer.Span{SpanID: id, ParentSpanID: ids[(i+1)%len(ids)], Service: "svc", Name: "op", Status: analyzer.StatusError,
				Start: tracetest.Epoch, End: tracetest.Epoch.Add(1000)})
		}
		return spans
	}
	r := analyzer.Analyze(&analyzer.Trace{TraceID: "t", Spans: cycle("a", "b", "c")})
	if !strings.Contains(r.Problem, "cycle") || r.Failed || len(r.Hops) != 0 {
		t.Errorf("a cycle alone: problem %q, failed %v, hops %+v; want a problem naming the cycle", r.Problem, r.Failed, r.Hops)
	}
	if r := analyzer.Analyze(&analyzer.Trace{TraceID: "t"}); r.Problem != "the trace has no spans" {
		t.Errorf("no spans: problem %q", r.Problem)
	}

	root := &analyzer.Span{SpanID: "r", Service: "gw", Name: "GET /", Kind: analyzer.KindServer, Status: analyzer.StatusError, Start: tracetest.Epoch, End: tracetest.Epoch.Add(1000)}
	db := &analyzer.Span{SpanID: "d", ParentSpanID: "r", Service: "gw", Name: "SELECT", Kind: analyzer.KindClient, Status: analyzer.StatusError,
		Start: tracetest.Epoch, End: tracetest.Epoch.Add(500), Attributes: map[string]any{"db.system.name": "sqlite"}}
	r = analyzer.Analyze(&analyzer.Trace{TraceID: "t", Spans: append([]*analyzer.Span{root, db}, cycle("a", "b")...)})
	if r.Problem != "" || len(r.Hops) != 1 || r.Hops[0].SpanID != "d" || r.Hops[0].Confidence != analyzer.Low {
		t.Errorf("a root and a cycle: problem %q, hops %+v; want the database hop, low confidence", r.Problem, r.Hops)
	}
	if !hasNote(r, "2 span(s) are cut off from the root by a cycle") {
		t.Errorf("notes %q do not tell the cycle", r.Notes)
	}

	// A propagated span that names, as its origin, a span below the cycle:
	// not below it, so the span itself is the origin (the question once
	// walked up the cycle for ever).
	prop := &analyzer.Span{SpanID: "p", ParentSpanID: "r", Service: "gw", Name: "GET", Kind: analyzer.KindClient, Status: analyzer.StatusError,
		Start: tracetest.Epoch, End: tracetest.Epoch.Add(500), Attributes: map[string]any{"failhop.propagated": true, "failhop.origin_span_id": "a"}}
	r = analyzer.Analyze(&analyzer.Trace{TraceID: "t", Spans: append([]*analyzer.Span{root, prop}, cycle("a", "b")...)})
	if len(r.Hops) != 1 || r.Hops[0].SpanID != "p" {
		t.Errorf("an origin named below a cycle: hops %+v, want the span that named it", r.Hops)
	}
}
