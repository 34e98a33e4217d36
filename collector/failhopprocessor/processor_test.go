package failhopprocessor

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/failhop/failhop/analyzer"
	"github.com/failhop/failhop/analyzer/otlpconv"
	"github.com/failhop/failhop/collector/internal/ptracetest"
	"github.com/failhop/failhop/collector/internal/throttled"
	"github.com/failhop/failhop/tracejson"
	"github.com/failhop/failhop/vocab"
)

// tspan is a span of a test trace, by short names.
type tspan struct {
	trace      string // short trace name; "" = "t1"
	id, parent string
	svc, name  string
	kind       ptrace.SpanKind
	start, end int // ms from the trace start
	status     ptrace.StatusCode
	attrs      map[string]any
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// shortID derives a stable ID of n bytes from a short name.
func shortID(name string, n int) []byte {
	b := make([]byte, n)
	copy(b, name)
	b[n-1] ^= 0x5a // never all zero
	return b
}

func spanID(name string) pcommon.SpanID {
	var id pcommon.SpanID
	copy(id[:], shortID(name, 8))
	return id
}

func traceID(name string) pcommon.TraceID {
	if name == "" {
		name = "t1"
	}
	var id pcommon.TraceID
	copy(id[:], shortID(name, 16))
	return id
}

// build makes pdata with one ResourceSpans per service, in the order the
// services first appear, like the services' exporters would send them.
func build(spans ...tspan) ptrace.Traces {
	td := ptrace.NewTraces()
	bySvc := map[string]ptrace.SpanSlice{}
	for _, s := range spans {
		ss, ok := bySvc[s.svc]
		if !ok {
			rs := td.ResourceSpans().AppendEmpty()
			rs.Resource().Attributes().PutStr("service.name", s.svc)
			rs.Resource().Attributes().PutStr("service.version", "1.0.0")
			ss = rs.ScopeSpans().AppendEmpty().Spans()
			bySvc[s.svc] = ss
		}
		p := ss.AppendEmpty()
		p.SetTraceID(traceID(s.trace))
		p.SetSpanID(spanID(s.id))
		if s.parent != "" {
			p.SetParentSpanID(spanID(s.parent))
		}
		p.SetName(s.name)
		p.SetKind(s.kind)
		p.SetStartTimestamp(pcommon.NewTimestampFromTime(t0.Add(time.Duration(s.start) * time.Millisecond)))
		p.SetEndTimestamp(pcommon.NewTimestampFromTime(t0.Add(time.Duration(s.end) * time.Millisecond)))
		p.Status().SetCode(s.status)
		if err := p.Attributes().FromRaw(s.attrs); err != nil {
			panic(err)
		}
	}
	return td
}

// marksOf lists the marks of every span: "id: key=value ...".
func marksOf(td ptrace.Traces, names ...string) map[string]string {
	byID := map[pcommon.SpanID]string{}
	for _, n := range names {
		byID[spanID(n)] = n
	}
	out := map[string]string{}
	forSpans(td, func(s ptrace.Span) {
		var parts []string
		for _, key := range []string{vocab.KeyRootCause, vocab.KeyRootCauseRank, vocab.KeyFailingHop, vocab.KeyFailingHopCause} {
			if v, ok := s.Attributes().Get(key); ok {
				parts = append(parts, fmt.Sprintf("%s=%s(%s)", key, v.AsString(), v.Type()))
			}
		}
		if len(parts) > 0 {
			out[byID[s.SpanID()]] = strings.Join(parts, " ")
		}
	})
	return out
}

var (
	errS  = ptrace.StatusCodeError
	unset = ptrace.StatusCodeUnset
	stOK  = ptrace.StatusCodeOk
	srv   = ptrace.SpanKindServer
	cli   = ptrace.SpanKindClient
	intl  = ptrace.SpanKindInternal
)

func rootMarks(hop, cause string) string {
	return fmt.Sprintf("%s=%s(Str) %s=%s(Str)", vocab.KeyFailingHop, hop, vocab.KeyFailingHopCause, cause)
}

func originMarks(rank int) string {
	return fmt.Sprintf("%s=true(Bool) %s=%d(Int)", vocab.KeyRootCause, vocab.KeyRootCauseRank, rank)
}

// dbError is the README's example: gateway → inventory → sqlite, with
// failhop's marks, as the kit sends it.
func dbError(trace string) []tspan {
	return []tspan{
		{trace: trace, id: "root", svc: "gateway", name: "GET /items/{id}", kind: srv, end: 50, status: errS,
			attrs: map[string]any{"http.route": "/items/{id}", "http.response.status_code": 502, "failhop.propagated": true, "failhop.cause": "db_error"}},
		{trace: trace, id: "c1", parent: "root", svc: "gateway", name: "GET", kind: cli, start: 2, end: 45, status: errS,
			attrs: map[string]any{"http.request.method": "GET", "url.full": "http://inventory:8080/items/7", "http.response.status_code": 500, "failhop.propagated": true}},
		{trace: trace, id: "s1", parent: "c1", svc: "inventory", name: "GET /items/{id}", kind: srv, start: 3, end: 44, status: errS,
			attrs: map[string]any{"http.response.status_code": 500, "failhop.propagated": true, "failhop.cause": "db_error"}},
		{trace: trace, id: "db", parent: "s1", svc: "inventory", name: "SELECT stock", kind: cli, start: 5, end: 8, status: errS,
			attrs: map[string]any{"db.system.name": "sqlite", "db.operation.name": "SELECT", "failhop.origin": true, "failhop.cause": "db_error"}},
	}
}

func TestMark(t *testing.T) {
	tests := []struct {
		name   string
		spans  []tspan
		marked int
		want   map[string]string // span name → marks
	}{
		{
			name:   "db error with failhop marks",
			spans:  dbError(""),
			marked: 1,
			want: map[string]string{
				"root": rootMarks("inventory → sqlite SELECT stock", "db_error"),
				"db":   originMarks(1),
			},
		},
		{
			name: "healthy",
			spans: []tspan{
				{id: "root", svc: "gateway", name: "GET /", kind: srv, end: 10, attrs: map[string]any{"http.response.status_code": 200}},
				{id: "c1", parent: "root", svc: "gateway", name: "GET", kind: cli, start: 1, end: 9, attrs: map[string]any{"http.response.status_code": 200}},
			},
			want: map[string]string{},
		},
		{
			name: "an error the request survived",
			spans: []tspan{
				{id: "root", svc: "gateway", name: "GET /", kind: srv, end: 10, status: stOK, attrs: map[string]any{"http.response.status_code": 200}},
				{id: "c1", parent: "root", svc: "gateway", name: "GET", kind: cli, start: 1, end: 3, status: errS, attrs: map[string]any{"http.response.status_code": 503, "url.full": "http://cache:80/x"}},
			},
			want: map[string]string{},
		},
		{
			name: "marks planted by a service are removed",
			spans: []tspan{
				{id: "root", svc: "gateway", name: "GET /", kind: srv, end: 10, attrs: map[string]any{vocab.KeyFailingHop: "fake", vocab.KeyFailingHopCause: "fake"}},
				{id: "c1", parent: "root", svc: "gateway", name: "GET", kind: cli, start: 1, end: 9, attrs: map[string]any{vocab.KeyRootCause: true, vocab.KeyRootCauseRank: 1, "failhop.cause": "kept"}},
			},
			want: map[string]string{},
		},
		{
			name: "no failhop marks: plain OpenTelemetry spans, root status unset with a 500",
			spans: []tspan{
				{id: "root", svc: "shop", name: "POST /cart", kind: srv, end: 40, status: unset, attrs: map[string]any{"http.response.status_code": 500}},
				{id: "c1", parent: "root", svc: "shop", name: "POST", kind: cli, start: 2, end: 30, status: errS, attrs: map[string]any{"http.request.method": "POST", "url.full": "http://pricing:9000/quote", "http.response.status_code": 500}},
				{id: "s1", parent: "c1", svc: "pricing", name: "POST /quote", kind: srv, start: 3, end: 29, status: errS, attrs: map[string]any{"http.response.status_code": 500}},
				{id: "q", parent: "s1", svc: "pricing", name: "SELECT prices", kind: cli, start: 4, end: 6, status: errS, attrs: map[string]any{"db.system": "postgresql", "db.statement": "SELECT 1"}},
			},
			marked: 1,
			want: map[string]string{
				"root": rootMarks("pricing → postgresql SELECT prices", "db_error"),
				"q":    originMarks(1),
			},
		},
		{
			name: "fan-out: two fatal hops, ranked",
			spans: []tspan{
				{id: "root", svc: "gateway", name: "GET /page", kind: srv, end: 40, status: errS, attrs: map[string]any{"http.response.status_code": 500}},
				{id: "a", parent: "root", svc: "gateway", name: "GET", kind: cli, start: 1, end: 10, status: errS, attrs: map[string]any{"url.full": "http://users:80/u", "http.request.method": "GET"}},
				{id: "b", parent: "root", svc: "gateway", name: "GET", kind: cli, start: 1, end: 20, status: errS, attrs: map[string]any{"url.full": "http://ads:80/a", "http.request.method": "GET"}},
			},
			marked: 1,
			want: map[string]string{
				"root": rootMarks("gateway → users:80 GET", "peer_unreachable"),
				"a":    originMarks(1),
				"b":    originMarks(2),
			},
		},
		{
			name:   "two failed traces in one batch, spans interleaved",
			spans:  interleave(dbError("t1"), dbError("t2")),
			marked: 2,
			want: map[string]string{
				// Both traces use the same span IDs; marksOf merges them.
				"root": rootMarks("inventory → sqlite SELECT stock", "db_error"),
				"db":   originMarks(1),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			td := build(tt.spans...)
			if got := Mark(td); got != tt.marked {
				t.Errorf("Mark marked %d traces, want %d", got, tt.marked)
			}
			var names []string
			for _, s := range tt.spans {
				names = append(names, s.id)
			}
			got := marksOf(td, names...)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("marks:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func interleave(a, b []tspan) []tspan {
	var out []tspan
	for i := range a {
		out = append(out, a[i], b[len(b)-1-i])
	}
	return out
}

// TestSpanFailed checks the pre-filter (otlpconv.FailureTest, also the
// failhop sampler's rule) against the analyzer: a one-span trace failed
// exactly when the test says its span did.
func TestSpanFailed(t *testing.T) {
	attrSets := []map[string]any{
		nil,
		{"error": true}, {"error": "true"}, {"error": false}, {"error": "yes"},
		{"http.response.status_code": 500}, {"http.response.status_code": 404}, {"http.response.status_code": "503"},
		{"http.response.status_code": 599.0}, {"http.response.status_code": "x", "http.status_code": 500},
		{"http.response.status_code": true, "http.status_code": 500}, {"http.status_code": 502},
		{"rpc.grpc.status_code": 14}, {"rpc.grpc.status_code": 5}, {"rpc.response.status_code": "13"}, {"rpc.grpc.status_code": 0},
	}
	for _, kind := range []ptrace.SpanKind{srv, cli, intl, ptrace.SpanKindUnspecified} {
		for _, status := range []ptrace.StatusCode{unset, stOK, errS} {
			for _, attrs := range attrSets {
				td := build(tspan{id: "root", svc: "s", name: "n", kind: kind, end: 1, status: status, attrs: attrs})
				span := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
				tr := &analyzer.Trace{TraceID: traceID("").String(), Spans: []*analyzer.Span{otlpconv.Convert(span, otlpconv.NewResource(td.ResourceSpans().At(0).Resource().Attributes()), td.ResourceSpans().At(0).ScopeSpans().At(0).Scope())}}
				if got, want := new(otlpconv.FailureTest).Failed(span), analyzer.Analyze(tr).Failed; got != want {
					t.Errorf("kind %v status %v attrs %v: FailureTest.Failed = %v, analyzer says %v", kind, status, attrs, got, want)
				}
			}
		}
	}
}

// fixtureWant is what a fixture's NAME.want.json says of its hops.
type fixtureWant struct {
	Hops []struct {
		Description string `json:"description"`
		Cause       string `json:"cause"`
		SpanID      string `json:"span_id"`
	} `json:"hops"`
	Units []json.RawMessage `json:"units"`
}

// TestFixtures runs every trace fixture of the analyzer (testdata/traces)
// through pdata: the conversion must give the analyzer the same trace as
// the Jaeger JSON reader, the marks must be the report's, and the marked
// hop the fixture's expected answer.
func TestFixtures(t *testing.T) {
	files, err := filepath.Glob("../../testdata/traces/*.json")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".want.json") {
			continue
		}
		n++
		t.Run(strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			traces, err := tracejson.Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			var fw fixtureWant
			if data, err = os.ReadFile(strings.TrimSuffix(f, ".json") + ".want.json"); err == nil {
				err = json.Unmarshal(data, &fw)
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, tr := range traces {
				// OTLP has no FOLLOWS_FROM: what a collector sees of an
				// asynchronous child is a plain child.
				for _, s := range tr.Spans {
					s.FollowsFrom = false
				}
				want := analyzer.Analyze(tr)
				td := ptracetest.FromAnalyzer(tr)

				// The failhop sampler keeps the traces that the analyzer
				// calls failed: the same rule, on pdata.
				if want.Failed && !new(otlpconv.FailureTest).AnyFailed(td) {
					t.Error("the analyzer says the request failed, but the failhop sampler would drop the trace")
				}

				got := analyzer.Analyze(convertAll(td))
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("report from pdata differs from the report from JSON:\n got %+v\nwant %+v", got, want)
				}

				Mark(td)
				wantMarks := map[string]map[string]any{}
				if want.Failed {
					addWantMarks(wantMarks, want.Root.SpanID, want.Hops)
				}
				for _, u := range want.Units {
					if u.Failed {
						addWantMarks(wantMarks, u.Entry.SpanID, u.Hops)
					}
				}
				gotMarks := map[string]map[string]any{}
				forSpans(td, func(s ptrace.Span) {
					m := map[string]any{}
					for k, v := range s.Attributes().AsRaw() {
						if isMark(k) {
							m[k] = v
						}
					}
					if len(m) > 0 {
						gotMarks[s.SpanID().String()] = m
					}
				})
				if !reflect.DeepEqual(gotMarks, wantMarks) {
					t.Errorf("marks:\n got %v\nwant %v", gotMarks, wantMarks)
				}
				if len(fw.Hops) > 0 {
					w := fw.Hops[0]
					if root := gotMarks[want.Root.SpanID]; root[vocab.KeyFailingHop] != w.Description || root[vocab.KeyFailingHopCause] != w.Cause {
						t.Errorf("the root is marked failing hop %v / %v, want %q / %s", root[vocab.KeyFailingHop], root[vocab.KeyFailingHopCause], w.Description, w.Cause)
					}
					if w.SpanID != "" && gotMarks[w.SpanID][vocab.KeyRootCause] != true {
						t.Errorf("span %s, where the error started, is not marked %s", w.SpanID, vocab.KeyRootCause)
					}
				} else if len(gotMarks) > 0 && len(fw.Units) == 0 {
					t.Errorf("a trace the fixture calls healthy is marked: %v", gotMarks)
				}
			}
		})
	}
	if n == 0 {
		t.Fatal("no fixtures found")
	}
}

// addWantMarks adds the marks that the hops of a failed request or unit
// of work, entered at span entry, should leave: failhop.root_cause on
// their origins, the first hop on the entry span.
func addWantMarks(marks map[string]map[string]any, entry string, hops []analyzer.Hop) {
	if len(hops) == 0 {
		return
	}
	for _, h := range hops {
		if marks[h.SpanID] == nil {
			marks[h.SpanID] = map[string]any{}
		}
		if _, ok := marks[h.SpanID][vocab.KeyRootCause]; !ok {
			marks[h.SpanID][vocab.KeyRootCause] = true
			marks[h.SpanID][vocab.KeyRootCauseRank] = int64(h.Rank)
		}
	}
	m := marks[entry]
	if m == nil {
		m = map[string]any{}
		marks[entry] = m
	}
	if _, ok := m[vocab.KeyFailingHop]; ok {
		return
	}
	m[vocab.KeyFailingHop] = hops[0].Description
	m[vocab.KeyFailingHopCause] = string(hops[0].Cause)
	m[vocab.KeyFailingHopConfidence] = string(hops[0].Confidence)
	if hops[0].Reason != "" {
		m[vocab.KeyFailingHopReason] = hops[0].Reason
	}
}

func forSpans(td ptrace.Traces, f func(ptrace.Span)) {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				f(spans.At(k))
			}
		}
	}
}

// convertAll converts all of td (one trace) as Mark does.
func convertAll(td ptrace.Traces) *analyzer.Trace {
	tr := &analyzer.Trace{}
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		res := otlpconv.NewResource(rss.At(i).Resource().Attributes())
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				tr.TraceID = spans.At(k).TraceID().String()
				tr.Spans = append(tr.Spans, otlpconv.Convert(spans.At(k), res, sss.At(j).Scope()))
			}
		}
	}
	return tr
}

// newTestProcessor returns a failhop processor whose metrics tel reads.
func newTestProcessor(t *testing.T, tel *componenttest.Telemetry) *failhop {
	t.Helper()
	tm, err := newTelemetry(tel.NewTelemetrySettings())
	if err != nil {
		t.Fatal(err)
	}
	return &failhop{seen: newRecentTraces(10), tel: tm}
}

// counter returns the value of an int counter, 0 if it has no data yet.
func counter(t *testing.T, tel *componenttest.Telemetry, name string) int64 {
	t.Helper()
	m, err := tel.GetMetric(name)
	if err != nil {
		return 0
	}
	var n int64
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		n += dp.Value
	}
	return n
}

func TestProcessTraces(t *testing.T) {
	tel := componenttest.NewTelemetry()
	defer tel.Shutdown(context.Background())
	td := build(append(dbError(""), okSpans("ok")...)...)
	out, err := newTestProcessor(t, tel).processTraces(context.Background(), td)
	if err != nil {
		t.Fatal(err)
	}
	if got := marksOf(out, "root", "db"); len(got) != 2 {
		t.Errorf("marks = %v", got)
	}
	// The successful trace has no failed span: it is not analyzed.
	if a, m := counter(t, tel, metricAnalyzed), counter(t, tel, metricMarked); a != 1 || m != 1 {
		t.Errorf("%s = %d, %s = %d; want 1 and 1", metricAnalyzed, a, metricMarked, m)
	}
	d, err := tel.GetMetric(metricDuration)
	if err != nil {
		t.Fatal(err)
	}
	if h := d.Data.(metricdata.Histogram[float64]).DataPoints; len(h) != 1 || h[0].Count != 1 {
		t.Errorf("%s: %+v, want one analysis recorded", metricDuration, h)
	}
}

// okSpans is a successful request of one span.
func okSpans(trace string) []tspan {
	return []tspan{{trace: trace, id: "ok", svc: "gateway", name: "GET /", kind: srv, end: 5,
		attrs: map[string]any{"http.response.status_code": 200}}}
}

// TestLateSpans: spans of a trace that was already processed (tail
// sampling forwards a decided trace's late spans on their own) are not
// analyzed again: a part of a trace would name the wrong hop.
func TestLateSpans(t *testing.T) {
	tel := componenttest.NewTelemetry()
	defer tel.Shutdown(context.Background())
	p := newTestProcessor(t, tel)
	spans := dbError("")
	first := build(spans[:2]...) // the gateway's spans, decided without inventory's
	if _, err := p.processTraces(context.Background(), first); err != nil {
		t.Fatal(err)
	}
	late := build(spans[2:]...) // inventory's, after the decision
	if _, err := p.processTraces(context.Background(), late); err != nil {
		t.Fatal(err)
	}
	if got := marksOf(late, "s1", "db"); len(got) != 0 {
		t.Errorf("late spans marked: %v", got)
	}
	if n := counter(t, tel, metricLate); n != 1 {
		t.Errorf("%s = %d, want 1", metricLate, n)
	}
	// A new trace is still analyzed.
	other := build(dbError("t2")...)
	if _, err := p.processTraces(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	if got := marksOf(other, "db"); got["db"] != originMarks(1) {
		t.Errorf("a new trace was not marked: %v", got)
	}
	if n := counter(t, tel, metricAnalyzed); n != 2 {
		t.Errorf("%s = %d, want 2 (the first part and the new trace)", metricAnalyzed, n)
	}
}

func TestRecentTracesForgetsTheOldest(t *testing.T) {
	r := newRecentTraces(2)
	r.add([]pcommon.TraceID{traceID("a"), traceID("b"), traceID("a")})
	r.add([]pcommon.TraceID{traceID("c")})
	for name, want := range map[string]bool{"a": false, "b": true, "c": true, "d": false} {
		if got := r.contains(traceID(name)); got != want {
			t.Errorf("contains(%s) = %v, want %v", name, got, want)
		}
	}
}

// TestMarkIncompleteTrace: a trace whose spans below its root were
// dropped (tail sampling evicted them under load) is marked with low
// confidence and why, not as a confident answer that the root is where
// the failure started.
func TestMarkIncompleteTrace(t *testing.T) {
	td := incompleteTrace()
	if o := mark(td, nil); o.incomplete != 1 {
		t.Errorf("counted %d incomplete traces, want 1", o.incomplete)
	}
	attrs := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes()
	conf, _ := attrs.Get(vocab.KeyFailingHopConfidence)
	reason, _ := attrs.Get(vocab.KeyFailingHopReason)
	if conf.AsString() != "low" || !strings.Contains(reason.AsString(), "incomplete") {
		t.Errorf("confidence %q, reason %q: want low, saying the trace is incomplete", conf.AsString(), reason.AsString())
	}
}

// incompleteTrace is a failed request whose root span says the error came
// from a span that is not in the trace.
func incompleteTrace() ptrace.Traces {
	now := time.Now()
	return ptracetest.FromAnalyzer(&analyzer.Trace{TraceID: "0af7651916cd43dd8448eb211c80319c", Spans: []*analyzer.Span{{
		SpanID: "00f067aa0ba902b7", Service: "front", Name: "GET /checkout", Kind: analyzer.KindServer,
		Start: now, End: now.Add(30 * time.Millisecond), Status: analyzer.StatusError,
		Attributes: map[string]any{"http.response.status_code": int64(502), vocab.KeyPropagated: true,
			vocab.KeyCause: "db_error", vocab.KeyOriginSpanID: "1111111111111111"},
	}}})
}

// TestIncompleteTracesLogged: incomplete traces are counted, and logged at
// warn with their count at most once every throttled.Every.
func TestIncompleteTracesLogged(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	set := componenttest.NewNopTelemetrySettings()
	set.Logger = zap.New(core)
	tel, err := newTelemetry(set)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{2, 3} {
		tel.record(context.Background(), outcome{marked: n, incomplete: n})
	}
	entries := logs.All()
	if len(entries) != 1 || entries[0].ContextMap()["traces"] != int64(2) {
		t.Fatalf("logged %v, want one warning for the first 2 traces (the next within %v waits)", entries, throttled.Every)
	}
	if p := tel.incompleteCount.Pending(); p[0] != 3 {
		t.Errorf("%d traces wait for the next warning, want 3", p[0])
	}
}
