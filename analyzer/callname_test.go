package analyzer_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/failhop/failhop/analyzer"
)

// deadPeerTrace is a request to reviews whose call for review id got no
// answer: the client span is the origin, with the raw path in url.full.
func deadPeerTrace(id int, template string) *analyzer.Trace {
	tid := fmt.Sprintf("%032x", id+1)
	root := &analyzer.Span{SpanID: "00000000000000a1", Service: "books", Name: "GET /books/{id}", Kind: analyzer.KindServer,
		Start: fixtureEpoch, End: fixtureEpoch.Add(20 * time.Millisecond), Status: analyzer.StatusError,
		Attributes: map[string]any{"http.route": "/books/{id}", "http.response.status_code": int64(502)}}
	call := &analyzer.Span{SpanID: "00000000000000b2", ParentSpanID: root.SpanID, Service: "books", Name: "HTTP GET", Kind: analyzer.KindClient,
		Start: fixtureEpoch.Add(time.Millisecond), End: fixtureEpoch.Add(2 * time.Millisecond), Status: analyzer.StatusError,
		StatusMessage: "connection refused",
		Attributes: map[string]any{"http.request.method": "GET", "url.full": fmt.Sprintf("http://user:secret@reviews:8080/reviews/%d?token=abc", id),
			"server.address": "reviews", "server.port": int64(8080), "error.type": "connection_refused",
			"failhop.origin": true, "failhop.cause": "peer_unreachable"}}
	if template != "" {
		call.Attributes["url.template"] = template
	}
	return &analyzer.Trace{TraceID: tid, Spans: []*analyzer.Span{root, call}}
}

// TestOneOutageOneGroup: a thousand requests for a thousand review IDs,
// all failing on the same dead peer, are one failing hop, named without
// the IDs, with the raw path kept as an example.
func TestOneOutageOneGroup(t *testing.T) {
	var reports []analyzer.Report
	for id := range 1000 {
		reports = append(reports, analyzer.Analyze(deadPeerTrace(id, "")))
	}
	groups := analyzer.GroupFailures(reports).Groups
	if len(groups) != 1 || groups[0].Count != 1000 {
		t.Fatalf("%d groups (first: %+v), want one of 1000", len(groups), groups[0])
	}
	if g := groups[0]; g.Description != "books → reviews:8080 GET" || !strings.HasPrefix(g.Example, "GET /reviews/") {
		t.Errorf("group %q, example %q; want it named by method and peer, a path as example", g.Description, g.Example)
	}
	h := reports[0].Hops[0]
	want := []analyzer.Attribute{
		{Key: "url.full", Value: "http://reviews:8080/reviews/0"},
		{Key: "server.address", Value: "reviews"},
		{Key: "server.port", Value: "8080"},
		{Key: "error.type", Value: "connection_refused"},
	}
	if fmt.Sprint(h.Evidence) != fmt.Sprint(want) {
		t.Errorf("evidence %v, want %v (the URL without user info or query)", h.Evidence, want)
	}
}

// TestCallNamedByTemplate: a call whose span has url.template is named by
// it, and a call that a server answered by the route of that server.
func TestCallNamedByTemplate(t *testing.T) {
	if h := analyzer.Analyze(deadPeerTrace(42, "/reviews/{id}")).Hops[0]; h.Description != "books → reviews:8080 GET /reviews/{id}" || h.Example != "GET /reviews/42" {
		t.Errorf("with url.template: %q, example %q", h.Description, h.Example)
	}

	tr := deadPeerTrace(7, "")
	call := tr.Spans[1]
	delete(call.Attributes, "failhop.origin")
	call.Attributes["http.response.status_code"] = int64(404)
	call.Attributes["failhop.cause"] = "upstream_rejected"
	call.Attributes["failhop.origin"] = true
	tr.Spans = append(tr.Spans, &analyzer.Span{SpanID: "00000000000000c3", ParentSpanID: call.SpanID, Service: "reviews", Name: "GET /reviews/{id}",
		Kind: analyzer.KindServer, Start: call.Start, End: call.End, Attributes: map[string]any{"http.route": "/reviews/{id}", "http.response.status_code": int64(404)}})
	if h := analyzer.Analyze(tr).Hops[0]; h.Description != "books → reviews GET /reviews/{id}" {
		t.Errorf("answered by a server with a route: %q, want the route", h.Description)
	}
}

// TestSpansMissingBelow: a failed span that failhop's kit marked as
// passing on a failure from below, with nothing below it in the trace
// (the spans were dropped), is the hop only with low confidence, and the
// report says the trace is incomplete.
func TestSpansMissingBelow(t *testing.T) {
	tr := &analyzer.Trace{TraceID: "0af7651916cd43dd8448eb211c80319c", Spans: []*analyzer.Span{{
		SpanID: "00f067aa0ba902b7", Service: "front", Name: "GET /checkout", Kind: analyzer.KindServer,
		Start: fixtureEpoch, End: fixtureEpoch.Add(30 * time.Millisecond), Status: analyzer.StatusError,
		Attributes: map[string]any{"http.response.status_code": int64(502), "failhop.propagated": true,
			"failhop.cause": "db_error", "failhop.origin_span_id": "1111111111111111"},
	}}}
	r := analyzer.Analyze(tr)
	if len(r.Hops) != 1 || r.Hops[0].Confidence != analyzer.Low || !strings.Contains(r.Hops[0].Reason, "not in the trace") {
		t.Fatalf("hops %+v: want one, of low confidence, saying spans are missing", r.Hops)
	}
	if len(r.Notes) == 0 || !strings.Contains(r.Notes[0], "incomplete") {
		t.Errorf("notes %q: want one saying the trace is incomplete", r.Notes)
	}
}

// TestTimeoutInIncompleteTrace: a call that timed out with no spans below
// it, in a trace that lacks spans (an orphan's parent is missing), may be
// missing its callee's spans: the hop stays incomplete and low, not
// "the called service sent no spans" and medium.
func TestTimeoutInIncompleteTrace(t *testing.T) {
	ms := func(n int) time.Time { return fixtureEpoch.Add(time.Duration(n) * time.Millisecond) }
	tr := &analyzer.Trace{TraceID: "0af7651916cd43dd8448eb211c80319c", Spans: []*analyzer.Span{
		{SpanID: "00000000000000a1", Service: "front", Name: "GET /checkout", Kind: analyzer.KindServer,
			Start: ms(0), End: ms(2010), Status: analyzer.StatusError, Attributes: map[string]any{"http.response.status_code": int64(504)}},
		{SpanID: "00000000000000a2", ParentSpanID: "00000000000000a1", Service: "front", Name: "GET", Kind: analyzer.KindClient,
			Start: ms(5), End: ms(2005), Status: analyzer.StatusError, StatusMessage: "context deadline exceeded",
			Attributes: map[string]any{"url.full": "http://stock:8080/items/7", "error.type": "context.DeadlineExceeded"}},
		{SpanID: "00000000000000b2", ParentSpanID: "00000000000000b1", Service: "stock", Name: "SELECT items", Kind: analyzer.KindClient,
			Start: ms(10), End: ms(1900), Attributes: map[string]any{"db.system.name": "postgresql"}},
	}}
	r := analyzer.Analyze(tr)
	if len(r.Hops) != 1 || !r.Hops[0].Incomplete() {
		t.Fatalf("hops %+v: want one, incomplete (low, the trace lacks spans)", r.Hops)
	}
}
