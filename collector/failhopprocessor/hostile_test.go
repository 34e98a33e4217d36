package failhopprocessor

import (
	"runtime"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/failhop/failhop/analyzer"
	"github.com/failhop/failhop/collector/internal/ptracetest"
	"github.com/failhop/failhop/internal/devstack/tracetest"
	"github.com/failhop/failhop/vocab"
)

// TestMarkHugeTraces marks a 50,000-span failing chain and a 50,000-span
// failing fan-out, each in a batch with an ordinary failed trace, in
// bounded memory: the huge ones get their marks and the ordinary one still
// gets its own.
func TestMarkHugeTraces(t *testing.T) {
	for _, tc := range []struct {
		name  string
		trace *analyzer.Trace
		marks int // spans marked root cause
	}{{"chain", tracetest.Chain(50_000), 1}, {"fan-out", tracetest.FanOut(50_000), 50}} {
		t.Run(tc.name, func(t *testing.T) {
			td := ptracetest.FromAnalyzer(tc.trace)
			build(dbError("small")...).ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			n := Mark(td)
			runtime.ReadMemStats(&after)
			if n != 2 {
				t.Fatalf("marked %d traces, want 2", n)
			}
			// Converting the spans for the analyzer (their attribute maps)
			// takes about 1.5 KB a span, the analysis under 20 MB; the
			// quadratic walk this guards against took 9.9 GB.
			a := after.TotalAlloc - before.TotalAlloc
			t.Logf("marking a 50,000-span %s and a small trace: %d MB allocated", tc.name, a>>20)
			if a > 150<<20 {
				t.Errorf("marking allocated %d MB, want < 150", a>>20)
			}
			causes, hops := 0, 0
			forSpans(td, func(s ptrace.Span) {
				if v, ok := s.Attributes().Get(vocab.KeyRootCause); ok && v.Bool() && s.TraceID() != traceID("small") {
					causes++
				}
				if _, ok := s.Attributes().Get(vocab.KeyFailingHop); ok {
					hops++
				}
			})
			if causes != tc.marks || hops != 2 {
				t.Errorf("%d root-cause marks in the huge trace (want %d), %d failing-hop marks (want 2)", causes, tc.marks, hops)
			}
			if got := marksOf(td, "root", "db"); got["db"] != originMarks(1) {
				t.Errorf("the ordinary trace's marks = %v", got)
			}
		})
	}
}

// TestMarkDuplicateIDs: of two spans that share an ID, only the one the
// analyzer read (the first) is marked.
func TestMarkDuplicateIDs(t *testing.T) {
	spans := dbError("")
	dup := spans[len(spans)-1]
	td := build(append(spans, dup)...)
	Mark(td)
	marked := 0
	forSpans(td, func(s ptrace.Span) {
		if _, ok := s.Attributes().Get(vocab.KeyRootCause); ok {
			marked++
		}
	})
	if marked != 1 {
		t.Errorf("%d spans marked root cause, want 1", marked)
	}
}
