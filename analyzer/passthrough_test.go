package analyzer

import (
	"testing"
	"time"
)

// TestPassThrough: spans that give no verdict of their own (express's
// "request handler", middleware and manual internal spans) between a
// failed span and the failure below them do not stop the walk, at any
// depth; a failed child next to them still wins.
func TestPassThrough(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	sp := func(id, parent, svc, name string, kind Kind, st StatusCode, attrs map[string]any) *Span {
		return &Span{SpanID: id, ParentSpanID: parent, Service: svc, Name: name, Kind: kind, Status: st,
			Start: t0, End: t0.Add(10 * time.Millisecond), Attributes: attrs}
	}
	http := func(code int) map[string]any { return map[string]any{"http.response.status_code": int64(code)} }
	for _, c := range []struct {
		name   string
		spans  []*Span
		origin string
	}{
		{"express: the exception below the request handler of each side", []*Span{
			sp("a", "", "front", "GET /checkout", KindServer, StatusError, http(502)),
			sp("b", "a", "front", "request handler", KindInternal, StatusUnset, nil),
			sp("c", "b", "front", "GET", KindClient, StatusError, http(500)),
			sp("d", "c", "back", "GET /boom", KindServer, StatusError, http(500)),
			sp("e", "d", "back", "request handler", KindInternal, StatusError, nil),
		}, "e"},
		{"two silent spans deep, unmarked", []*Span{
			sp("a", "", "api", "POST /pay", KindServer, StatusUnset, http(500)),
			sp("b", "a", "api", "auth middleware", KindInternal, StatusUnset, nil),
			sp("c", "b", "api", "handler", KindUnspecified, StatusUnset, nil),
			sp("d", "c", "api", "INSERT payments", KindClient, StatusError, map[string]any{"db.system.name": "postgresql"}),
		}, "d"},
		{"a silent span that answered Ok stops the walk", []*Span{
			sp("a", "", "api", "GET /x", KindServer, StatusError, http(500)),
			sp("b", "a", "api", "cache", KindInternal, StatusOK, nil),
			sp("c", "b", "api", "GET redis", KindClient, StatusError, nil),
		}, "a"},
	} {
		r := Analyze(&Trace{TraceID: "t", Spans: c.spans})
		if !r.Failed || len(r.Hops) != 1 || r.Hops[0].SpanID != c.origin {
			t.Errorf("%s: hops %+v, want one at span %s", c.name, r.Hops, c.origin)
		}
	}
}
