package analyzer_test

import (
	"testing"

	"github.com/failhop/failhop/analyzer"
)

// deepestErrorSpan is the common rule for a trace's root cause, the
// baseline failhop is scored against: the deepest span with an error
// status (or the legacy error=true tag) none of whose children has one,
// the earliest of those at that depth. Jaeger's error-root-cause search
// and Tempo's `{status=error} !< {status=error}` find these spans. It does
// not look at the root's answer, retries, timing or attributes; nil when no
// span has an error.
func deepestErrorSpan(t *analyzer.Trace) *analyzer.Span {
	byID := map[string]*analyzer.Span{}
	for _, s := range t.Spans {
		byID[s.SpanID] = s
	}
	isError := func(s *analyzer.Span) bool { return s.Status == analyzer.StatusError || s.Bool("error") }
	failedChild := map[string]bool{}
	for _, s := range t.Spans {
		if isError(s) {
			failedChild[s.ParentSpanID] = true
		}
	}
	depth := func(s *analyzer.Span) int {
		d := 0
		for p := byID[s.ParentSpanID]; p != nil && d <= len(t.Spans); p = byID[p.ParentSpanID] {
			d++
		}
		return d
	}
	var best *analyzer.Span
	bestDepth := -1
	for _, s := range t.Spans {
		if !isError(s) || failedChild[s.SpanID] {
			continue
		}
		d := depth(s)
		if d > bestDepth || d == bestDepth && s.Start.Before(best.Start) {
			best, bestDepth = s, d
		}
	}
	return best
}

// TestScore scores failhop and the baseline on every fixture: right means
// the fixture's expected first hop (its origin span, where the fixture
// names it) for a failed request, and no hop for one that succeeded.
// failhop must be right on all of them; the baseline's score is printed
// (make test shows both) and written in docs/cli.md.
func TestScore(t *testing.T) {
	files := fixtureFiles(t)
	ours, baseline := 0, 0
	for _, f := range files {
		r := analyzer.Analyze(f.trace)
		right := r.Failed == f.want.Failed && len(r.Hops) == len(f.want.Hops)
		for i, w := range f.want.Hops {
			if right {
				h := r.Hops[i]
				right = h.Description == w.Description && string(h.Cause) == w.Cause && (w.SpanID == "" || h.SpanID == w.SpanID)
			}
		}
		if right {
			ours++
		} else {
			t.Errorf("%s: failhop is wrong", f.name)
		}

		b := deepestErrorSpan(f.trace)
		switch {
		case !f.want.Failed && b == nil:
			baseline++
		case f.want.Failed && b != nil && right && b.SpanID == r.Hops[0].SpanID:
			baseline++
		default:
			t.Logf("%s: the baseline names %s", f.name, describeSpan(b))
		}
	}
	t.Logf("score: failhop %d of %d fixtures right; baseline (deepest error span with no error child) %d of %d", ours, len(files), baseline, len(files))
}

func describeSpan(s *analyzer.Span) string {
	if s == nil {
		return "no span"
	}
	return s.Service + " " + `"` + s.Name + `"`
}
