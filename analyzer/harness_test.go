package analyzer_test

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/failhop/failhop/analyzer"
)

// fixtureEpoch is when every fixture trace starts.
var fixtureEpoch = time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC)

// spanID derives a span ID from a fixture's short name.
func spanID(name string) string {
	sum := sha256.Sum256([]byte("span:" + name))
	return hex.EncodeToString(sum[:8])
}

func traceID(name string) string {
	sum := sha256.Sum256([]byte("trace:" + name))
	return hex.EncodeToString(sum[:16])
}

// build turns a fixture into the analyzer's model.
func (f fixture) build() *analyzer.Trace {
	t := &analyzer.Trace{TraceID: traceID(f.name)}
	for _, s := range f.spans {
		span := &analyzer.Span{
			SpanID:      spanID(s.id),
			FollowsFrom: s.followsFrom,
			Service:     s.svc,
			Name:        s.name,
			Kind:        s.kind,
			Start:       fixtureEpoch.Add(time.Duration(s.start) * time.Millisecond),
			End:         fixtureEpoch.Add(time.Duration(s.end) * time.Millisecond),
			Attributes:  map[string]any{},
			Resource:    map[string]any{"service.name": s.svc},
		}
		if s.parent != "" {
			span.ParentSpanID = spanID(s.parent)
		}
		if s.err {
			span.Status = analyzer.StatusError
		}
		span.StatusMessage = s.status
		for i, l := range s.logs {
			span.Events = append(span.Events, analyzer.Event{Name: l.msg, Time: span.Start.Add(time.Duration(i) * time.Microsecond), Attributes: l.fields})
		}
		for k, v := range s.attrs {
			span.Attributes[k] = v
		}
		if s.version != "" {
			span.Resource["service.version"] = s.version
		}
		if s.exception != "" {
			span.Events = append(span.Events, analyzer.Event{
				Name: "exception",
				Time: span.End,
				Attributes: map[string]any{
					"exception.type":       "*errors.errorString",
					"exception.message":    s.exception,
					"exception.stacktrace": "goroutine 1 [running]:\nmain.handler(...)\n\t/src/" + s.svc + "/main.go:42 +0x1d",
				},
			})
		}
		t.Spans = append(t.Spans, span)
	}
	return t
}

// check compares a report with what a fixture wants.
func check(t *testing.T, r analyzer.Report, want Want) {
	t.Helper()
	if r.Failed != want.Failed {
		t.Errorf("failed = %v, want %v", r.Failed, want.Failed)
	}
	if len(r.Hops) != len(want.Hops) {
		t.Fatalf("got %d hops, want %d: %s", len(r.Hops), len(want.Hops), describe(r.Hops))
	}
	for i, w := range want.Hops {
		h := r.Hops[i]
		if h.Description != w.Description || string(h.Cause) != w.Cause {
			t.Errorf("hop %d = %q / %s, want %q / %s", i+1, h.Description, h.Cause, w.Description, w.Cause)
		}
		if w.ServiceVersion != "" && h.ServiceVersion != w.ServiceVersion {
			t.Errorf("hop %d service version = %q, want %q", i+1, h.ServiceVersion, w.ServiceVersion)
		}
		if w.Count > 0 && h.Count != w.Count {
			t.Errorf("hop %d count = %d, want %d", i+1, h.Count, w.Count)
		}
		if h.Attempts != w.Attempts {
			t.Errorf("hop %d attempts = %d, want %d", i+1, h.Attempts, w.Attempts)
		}
		if w.SpanID != "" && h.SpanID != w.SpanID {
			t.Errorf("hop %d is span %s (%s %q), want span %s", i+1, h.SpanID, h.Service, h.Operation, w.SpanID)
		}
		if w.Message != "" && h.Message != w.Message {
			t.Errorf("hop %d message = %q, want %q", i+1, h.Message, w.Message)
		}
		if w.Stack != (h.Stack != "") {
			t.Errorf("hop %d stack = %q, want one: %v", i+1, h.Stack, w.Stack)
		}
		if h.Hint == "" || h.Rank != i+1 || len(h.Path) == 0 || h.Path[len(h.Path)-1].SpanID != h.SpanID {
			t.Errorf("hop %d incomplete: %+v", i+1, h)
		}
	}
	if want.Confidence != "" && len(r.Hops) > 0 && r.Hops[0].Confidence != want.Confidence {
		t.Errorf("confidence = %s (%s), want %s", r.Hops[0].Confidence, r.Hops[0].Reason, want.Confidence)
	}
	if len(r.Hops) > 0 && r.Hops[0].Confidence != analyzer.High && r.Hops[0].Reason == "" {
		t.Errorf("confidence %s without a reason", r.Hops[0].Confidence)
	}
	if len(r.NonFatal) != want.NonFatal {
		t.Errorf("got %d non-fatal errors, want %d: %s", len(r.NonFatal), want.NonFatal, describe(r.NonFatal))
	}
	checkUnits(t, r.Units, want.Units)
	if len(r.Notes) != want.Notes {
		t.Errorf("notes = %q, want %d", r.Notes, want.Notes)
	}
}

// checkUnits compares the failed units of work with the first hops a
// fixture wants of them.
func checkUnits(t *testing.T, units []analyzer.Unit, want []WantHop) {
	t.Helper()
	var got []analyzer.Hop
	for _, u := range units {
		switch {
		case u.Failed && len(u.Hops) > 0:
			got = append(got, u.Hops[0])
		case u.Failed:
			t.Errorf("failed unit %s %q without a hop", u.Entry.Service, u.Entry.Name)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("got %d failed units of work, want %d: %s", len(got), len(want), describe(got))
	}
	for i, w := range want {
		if got[i].Description != w.Description || string(got[i].Cause) != w.Cause {
			t.Errorf("unit %d hop = %q / %s, want %q / %s", i+1, got[i].Description, got[i].Cause, w.Description, w.Cause)
		}
		if w.SpanID != "" && got[i].SpanID != w.SpanID {
			t.Errorf("unit %d hop is span %s (%s %q), want span %s", i+1, got[i].SpanID, got[i].Service, got[i].Operation, w.SpanID)
		}
	}
}

func describe(hops []analyzer.Hop) string {
	var s []string
	for _, h := range hops {
		s = append(s, h.Description+" / "+string(h.Cause))
	}
	return strings.Join(s, "; ")
}

func TestFixtureSpecs(t *testing.T) {
	if len(fixtures) < 25 {
		t.Errorf("only %d fixtures; the corpus must cover every rule with at least 25", len(fixtures))
	}
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			check(t, analyzer.Analyze(f.build()), f.want)
		})
	}
}

// TestAnalyzeNeverFails feeds broken traces: the analyzer must answer.
func TestAnalyzeNeverFails(t *testing.T) {
	cycle := []*analyzer.Span{
		{SpanID: "a", ParentSpanID: "b", Status: analyzer.StatusError, Service: "x"},
		{SpanID: "b", ParentSpanID: "a", Status: analyzer.StatusError, Service: "x"},
	}
	tests := map[string]*analyzer.Trace{
		"empty":          {},
		"nil span":       {Spans: []*analyzer.Span{nil}},
		"cycle":          {Spans: cycle},
		"self parent":    {Spans: []*analyzer.Span{{SpanID: "a", ParentSpanID: "a", Status: analyzer.StatusError}}},
		"duplicate ids":  {Spans: []*analyzer.Span{{SpanID: "a", Status: analyzer.StatusError}, {SpanID: "a"}}},
		"no times":       {Spans: []*analyzer.Span{{SpanID: "a", Status: analyzer.StatusError, Kind: analyzer.KindClient}, {SpanID: "b", ParentSpanID: "a"}}},
		"odd attributes": {Spans: []*analyzer.Span{{SpanID: "a", Status: analyzer.StatusError, Attributes: map[string]any{"http.response.status_code": []any{"x"}, "failhop.origin": "yes"}}}},
	}
	for name, tr := range tests {
		t.Run(name, func(t *testing.T) {
			r := analyzer.Analyze(tr)
			if slices.ContainsFunc(r.Hops, func(h analyzer.Hop) bool { return h.Description == "" }) {
				t.Errorf("hop without a description: %+v", r.Hops)
			}
		})
	}
}
