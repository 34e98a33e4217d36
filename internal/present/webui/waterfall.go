package webui

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/failhop/failhop/analyzer"
)

// row is one span of a trace page's waterfall.
type row struct {
	Span          *analyzer.Span
	Depth         int
	Offset, Width float64 // the span's bar, in percent of the trace's duration
	// Role says what the span is to the answer: "origin" (where a failing
	// hop started), "propagated" (on the path from the root to an origin),
	// "nonfatal" (an error the request survived), "error" (failed, but
	// none of those), "" (fine).
	Role  string
	Label string // the role in words, for the reader and screen readers
}

// waterfall lays the spans of tr out as rows: each span under its parent,
// siblings in start order, with its bar to the trace's time scale and its
// role in rep. Spans whose parent is not in the trace start their own
// tree; a cycle in the parent links cannot loop (each span once).
func waterfall(tr *analyzer.Trace, rep analyzer.Report) []row {
	role := map[string][2]string{}
	for _, h := range rep.Hops {
		for _, st := range h.Path {
			role[st.SpanID] = [2]string{"propagated", "passed the failure on"}
		}
	}
	for _, h := range rep.NonFatal {
		role[h.SpanID] = [2]string{"nonfatal", "failed, and the request survived it (" + string(h.Cause) + ")"}
	}
	for _, h := range slices.Backward(rep.Hops) {
		role[h.SpanID] = [2]string{"origin", fmt.Sprintf("origin of failing hop %d (%s)", h.Rank, h.Cause)}
	}

	byID := make(map[string]*analyzer.Span, len(tr.Spans))
	children := map[string][]*analyzer.Span{}
	var start, end time.Time
	for _, s := range tr.Spans {
		if _, dup := byID[s.SpanID]; dup {
			continue
		}
		byID[s.SpanID] = s
		if start.IsZero() || (!s.Start.IsZero() && s.Start.Before(start)) {
			start = s.Start
		}
		if s.End.After(end) {
			end = s.End
		}
	}
	var roots []*analyzer.Span
	for _, s := range byID {
		if _, ok := byID[s.ParentSpanID]; ok && s.ParentSpanID != s.SpanID {
			children[s.ParentSpanID] = append(children[s.ParentSpanID], s)
		} else {
			roots = append(roots, s)
		}
	}
	byStart := func(a, b *analyzer.Span) int {
		return cmp.Or(a.Start.Compare(b.Start), strings.Compare(a.SpanID, b.SpanID))
	}
	slices.SortFunc(roots, byStart)
	for _, k := range slices.Collect(maps.Keys(children)) {
		slices.SortFunc(children[k], byStart)
	}
	total := end.Sub(start)

	type frame struct {
		s     *analyzer.Span
		depth int
	}
	rows := make([]row, 0, len(byID))
	done := make(map[string]bool, len(byID))
	var stack []frame
	for _, r := range slices.Backward(roots) {
		stack = append(stack, frame{r, 0})
	}
	for len(stack) > 0 || len(rows) < len(byID) {
		if len(stack) == 0 {
			// Spans in a cycle of parent links: none of them is a root;
			// each cycle starts from its first span by start time.
			rest := make([]*analyzer.Span, 0, len(byID)-len(rows))
			for _, s := range byID {
				if !done[s.SpanID] {
					rest = append(rest, s)
				}
			}
			stack = append(stack, frame{slices.MinFunc(rest, byStart), 0})
		}
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if done[f.s.SpanID] {
			continue
		}
		done[f.s.SpanID] = true
		r := row{Span: f.s, Depth: f.depth}
		if total > 0 && !f.s.Start.IsZero() {
			r.Offset = min(100, max(0, 100*float64(f.s.Start.Sub(start))/float64(total)))
			r.Width = max(0.2, 100*float64(f.s.Duration())/float64(total))
			r.Width = max(0, min(r.Width, 100-r.Offset)) // an end before the start draws nothing
		}
		r.Role, r.Label = role[f.s.SpanID][0], role[f.s.SpanID][1]
		if r.Role == "" && f.s.Status == analyzer.StatusError {
			r.Role, r.Label = "error", "failed"
		}
		rows = append(rows, r)
		for _, c := range slices.Backward(children[f.s.SpanID]) {
			stack = append(stack, frame{c, f.depth + 1})
		}
	}
	return rows
}

// ms formats a duration for people: "1.2 s", "340 ms", "85 µs".
func ms(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%d µs", d.Microseconds())
}

// since formats how long ago t was.
func since(t time.Time) string {
	d := time.Since(t).Round(time.Second)
	if d < time.Minute {
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	}
	if d < time.Hour {
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	}
	return t.UTC().Format("15:04 MST")
}

// windowName formats a time window as people write it: "15m", "1h".
func windowName(d time.Duration) string {
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	return strings.TrimSuffix(s, "0m")
}
