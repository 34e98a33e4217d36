package analyzer_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/failhop/failhop/analyzer"
)

// bigTrace builds a trace of n spans: a root fanning out to services, each
// with a chain of calls and queries, and one failing branch deep inside,
// plus scattered non-fatal errors. With silent, the calls and handlers
// record no status (internal spans, status Unset, as express's request
// handler spans): the walk must look below every branch for the failure.
func bigTrace(n int, silent bool) *analyzer.Trace {
	t := &analyzer.Trace{TraceID: "4bf92f3577b34da6a3ce929d0e0e4736"}
	start := fixtureEpoch
	add := func(parent *analyzer.Span, svc, name string, kind analyzer.Kind, fail bool) *analyzer.Span {
		s := &analyzer.Span{
			SpanID: fmt.Sprintf("%016x", len(t.Spans)+1), Service: svc, Name: name, Kind: kind,
			Start:      start.Add(time.Duration(len(t.Spans)) * time.Microsecond),
			End:        start.Add(time.Duration(len(t.Spans)+1000) * time.Microsecond),
			Attributes: map[string]any{"http.response.status_code": int64(200)},
		}
		if parent != nil {
			s.ParentSpanID = parent.SpanID
		}
		switch {
		case silent && parent != nil && kind != analyzer.KindClient:
			s.Kind, s.Attributes = analyzer.KindInternal, map[string]any{}
		case silent && parent != nil && !fail:
			s.Attributes = map[string]any{}
		case fail:
			s.Status = analyzer.StatusError
			s.Attributes["http.response.status_code"] = int64(500)
		}
		t.Spans = append(t.Spans, s)
		return s
	}
	root := add(nil, "gateway", "GET /checkout", analyzer.KindServer, true)
	for branch := 0; len(t.Spans) < n; branch++ {
		failing := branch == 7
		svc := fmt.Sprintf("svc-%d", branch%40)
		c := add(root, "gateway", "GET", analyzer.KindClient, failing && !silent)
		c.Attributes["url.full"] = fmt.Sprintf("http://%s/work/%d", svc, branch)
		s := add(c, svc, "GET /work", analyzer.KindServer, failing && !silent)
		for i := 0; i < 20 && len(t.Spans) < n; i++ {
			q := add(s, svc, "SELECT things", analyzer.KindClient, failing && i == 19 || i == 3)
			q.Attributes["db.system.name"] = "postgresql"
		}
	}
	return t
}

func BenchmarkAnalyze10k(b *testing.B) {
	for _, bc := range []struct {
		name   string
		silent bool
	}{{"failed-spans", false}, {"silent-spans", true}} {
		b.Run(bc.name, func(b *testing.B) {
			tr := bigTrace(10000, bc.silent)
			if r := analyzer.Analyze(tr); !r.Failed || len(r.Hops) != 1 || r.Hops[0].Service != "svc-7" {
				b.Fatalf("unexpected report: failed=%v hops=%+v", r.Failed, r.Hops)
			}
			b.ReportAllocs()
			for b.Loop() {
				analyzer.Analyze(tr)
			}
		})
	}
}
