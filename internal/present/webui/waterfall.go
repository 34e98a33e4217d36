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
	// At is when the span started, since the trace started.
	At time.Duration
	// Details are the span's details; nil when the page leaves them out
	// (withDetails).
	Details *details
	Open    bool // its details show when the page opens
}

// roles returns the role and its words (row.Role, row.Label) of each span
// that rep names, by span ID.
func roles(rep analyzer.Report) map[string][2]string {
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
	return role
}

// spanTree is a trace's spans by ID, each one's children in start order,
// the spans whose parent is not in the trace (roots), and the trace's
// time span.
type spanTree struct {
	byID       map[string]*analyzer.Span
	children   map[string][]*analyzer.Span
	roots      []*analyzer.Span
	start, end time.Time
}

func byStart(a, b *analyzer.Span) int {
	return cmp.Or(a.Start.Compare(b.Start), strings.Compare(a.SpanID, b.SpanID))
}

// treeOf arranges tr's spans, each once (the first of a duplicated ID).
func treeOf(tr *analyzer.Trace) spanTree {
	t := spanTree{byID: make(map[string]*analyzer.Span, len(tr.Spans)), children: map[string][]*analyzer.Span{}}
	for _, s := range tr.Spans {
		if _, dup := t.byID[s.SpanID]; dup {
			continue
		}
		t.byID[s.SpanID] = s
		if t.start.IsZero() || (!s.Start.IsZero() && s.Start.Before(t.start)) {
			t.start = s.Start
		}
		if s.End.After(t.end) {
			t.end = s.End
		}
	}
	for _, s := range t.byID {
		if _, ok := t.byID[s.ParentSpanID]; ok && s.ParentSpanID != s.SpanID {
			t.children[s.ParentSpanID] = append(t.children[s.ParentSpanID], s)
		} else {
			t.roots = append(t.roots, s)
		}
	}
	slices.SortFunc(t.roots, byStart)
	for _, k := range slices.Collect(maps.Keys(t.children)) {
		slices.SortFunc(t.children[k], byStart)
	}
	return t
}

// waterfall lays the spans of tr out as rows: each span under its parent,
// siblings in start order, with its bar to the trace's time scale, its
// role in rep and its details. Spans whose parent is not in the trace
// start their own tree; a cycle in the parent links cannot loop (each
// span once).
func waterfall(tr *analyzer.Trace, rep analyzer.Report) []row {
	role := roles(rep)
	t := treeOf(tr)
	type frame struct {
		s     *analyzer.Span
		depth int
	}
	rows := make([]row, 0, len(t.byID))
	done := make(map[string]bool, len(t.byID))
	var stack []frame
	for _, r := range slices.Backward(t.roots) {
		stack = append(stack, frame{r, 0})
	}
	for len(stack) > 0 || len(rows) < len(t.byID) {
		if len(stack) == 0 {
			// Spans in a cycle of parent links: none of them is a root;
			// each cycle starts from its first span by start time.
			rest := make([]*analyzer.Span, 0, len(t.byID)-len(rows))
			for _, s := range t.byID {
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
		r := t.row(f.s, f.depth)
		r.Role, r.Label = role[f.s.SpanID][0], role[f.s.SpanID][1]
		if r.Role == "" && f.s.Status == analyzer.StatusError {
			r.Role, r.Label = "error", "failed"
		}
		rows = append(rows, r)
		for _, c := range slices.Backward(t.children[f.s.SpanID]) {
			stack = append(stack, frame{c, f.depth + 1})
		}
	}
	return rows
}

// row returns the row of s at depth, with its bar.
func (t spanTree) row(s *analyzer.Span, depth int) row {
	r := row{Span: s, Depth: depth}
	if total := t.end.Sub(t.start); total > 0 && !s.Start.IsZero() {
		r.At = s.Start.Sub(t.start)
		r.Offset = min(100, max(0, 100*float64(r.At)/float64(total)))
		r.Width = max(0.2, 100*float64(s.Duration())/float64(total))
		r.Width = max(0, min(r.Width, 100-r.Offset)) // an end before the start draws nothing
	}
	return r
}

// maxDetailedRows bounds the spans whose details a trace page holds: the
// first rows, and the open ones. The details of the others are a link
// that loads the page with them open (?span=), so that a trace of
// thousands of spans stays a page a browser opens.
const maxDetailedRows = 1000

// withDetails gives the rows of a trace traceID their details (the first
// maxDetailedRows, and the open ones), and opens those of the spans open
// names.
func withDetails(rows []row, traceID string, open ...string) {
	byID := make(map[string]*analyzer.Span, len(rows))
	for _, r := range rows {
		byID[r.Span.SpanID] = r.Span
	}
	for i := range rows {
		r := &rows[i]
		r.Open = slices.Contains(open, r.Span.SpanID)
		if i < maxDetailedRows || r.Open {
			d := detailsOf(r.Span, traceID, byID)
			r.Details = &d
		}
	}
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
