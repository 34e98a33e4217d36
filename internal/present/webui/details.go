package webui

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/failhop/failhop/analyzer"
)

// field is an attribute as a span's details show it: its value as text,
// and, for a value of many lines (a stack trace), its first line, which
// stands for it while it is folded.
type field struct {
	Key, Value string
	// Lines is how many lines Value has; the page folds a value of more
	// than foldLines.
	Lines int
	First string // Value's first line
}

// foldLines is the most lines a value shows unfolded.
const foldLines = 3

// Folded says the value is long enough to fold.
func (f field) Folded() bool { return f.Lines > foldLines }

// fields returns attrs sorted by key, each value as text (valueText).
func fields(attrs map[string]any) []field {
	out := make([]field, 0, len(attrs))
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		v := valueText(attrs[k])
		first, _, _ := strings.Cut(v, "\n")
		out = append(out, field{Key: k, Value: v, Lines: strings.Count(v, "\n") + 1, First: first})
	}
	return out
}

// valueText formats an attribute value as Jaeger's API returns it:
// strings as they are, numbers and bools in their usual form, arrays as
// JSON.
func valueText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// spanRef is a span that a span's details point to: its parent, or a
// span it links to.
type spanRef struct {
	TraceID, SpanID string
	// Span is the span when the trace page shows it; nil when it is in
	// another trace or missing from this one.
	Span *analyzer.Span
	// Elsewhere says the span is in another trace.
	Elsewhere bool
}

// event is a span event as a span's details show it.
type event struct {
	Name   string
	After  time.Duration // since the span started
	Fields []field
}

// details are what a span's details show beyond the span itself.
type details struct {
	Parent     *spanRef // nil for a root span
	Links      []spanRef
	Attributes []field
	Resource   []field
	Events     []event
}

// detailsOf returns the details of s, a span of the trace traceID whose
// spans by ID are byID.
func detailsOf(s *analyzer.Span, traceID string, byID map[string]*analyzer.Span) details {
	d := details{Attributes: fields(s.Attributes), Resource: fields(s.Resource)}
	if s.ParentSpanID != "" {
		d.Parent = &spanRef{TraceID: traceID, SpanID: s.ParentSpanID, Span: byID[s.ParentSpanID]}
	}
	for _, l := range s.Links {
		ref := spanRef{TraceID: l.TraceID, SpanID: l.SpanID, Elsewhere: l.TraceID != "" && l.TraceID != traceID}
		if !ref.Elsewhere {
			ref.TraceID, ref.Span = traceID, byID[l.SpanID]
		}
		d.Links = append(d.Links, ref)
	}
	for _, e := range s.Events {
		ev := event{Name: e.Name, Fields: fields(e.Attributes)}
		if !s.Start.IsZero() && !e.Time.IsZero() {
			ev.After = e.Time.Sub(s.Start)
		}
		d.Events = append(d.Events, ev)
	}
	return d
}
