package failhopsampler

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/failhop/failhop/analyzer"
	"github.com/failhop/failhop/analyzer/otlpconv"
	"github.com/failhop/failhop/collector/internal/ptracetest"
	"github.com/failhop/failhop/tracejson"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.uber.org/zap"

	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/tailsamplingprocessor/pkg/samplingpolicy"
)

var epoch = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

// request returns a trace of a request to front GET /checkout that, when
// failing, failed on orders' call to payments, refused.
func request(n int, op string, failing bool) *analyzer.Trace {
	root := &analyzer.Span{SpanID: "00000000000000a1", Service: "front", Name: op, Kind: analyzer.KindServer,
		Start: epoch, End: epoch.Add(20 * time.Millisecond), Attributes: map[string]any{"http.response.status_code": int64(200)}}
	tr := &analyzer.Trace{TraceID: fmt.Sprintf("%032x", n+1), Spans: []*analyzer.Span{root}}
	if failing {
		root.Status, root.Attributes["http.response.status_code"] = analyzer.StatusError, int64(502)
		tr.Spans = append(tr.Spans, &analyzer.Span{SpanID: "00000000000000b2", ParentSpanID: root.SpanID, Service: "front", Name: "HTTP POST",
			Kind: analyzer.KindClient, Start: epoch.Add(time.Millisecond), End: epoch.Add(2 * time.Millisecond), Status: analyzer.StatusError,
			Resource:   map[string]any{"service.version": "1.2.3"},
			Attributes: map[string]any{"http.request.method": "POST", "url.full": fmt.Sprintf("http://payments:8080/charge/%d", n), "service.peer.name": "payments"}})
	}
	return tr
}

// newTestCounter returns an evaluator of a sampler that counts, and a
// function that scrapes its metrics as Prometheus does (OpenMetrics).
func newTestCounter(t *testing.T, maxSeries int) (samplingpolicy.Evaluator, *counter, func() string) {
	t.Helper()
	s, err := newSampler(&Config{Metrics: MetricsConfig{Endpoint: "127.0.0.1:0", MaxSeries: maxSeries}}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	ev, err := s.NewEvaluator("failed", nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.counter.handler)
	t.Cleanup(srv.Close)
	scrape := func() string {
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		req.Header.Set("Accept", "application/openmetrics-text; version=1.0.0")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	return ev, s.counter, scrape
}

// TestCounts: every request is counted, failed ones once more, and the
// failing hop under its origin, with an exemplar naming a failed trace.
func TestCounts(t *testing.T) {
	ev, _, scrape := newTestCounter(t, defaultMaxSeries)
	for n := range 10 {
		td := ptracetest.FromAnalyzer(request(n, "GET /checkout", n%5 == 0))
		if _, err := ev.Evaluate(context.Background(), pcommon.TraceID{}, traceData(td)); err != nil {
			t.Fatal(err)
		}
	}
	out := scrape()
	for _, want := range []string{
		`failhop_requests_total{entry_operation="GET /checkout",entry_service="front"} 10.0`,
		`failhop_failed_requests_total{entry_operation="GET /checkout",entry_service="front"} 2.0`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, out)
		}
	}
	// The failing hop, with an exemplar of the latest failure (its labels
	// come in either order).
	hop := regexp.MustCompile(`failhop_failing_hops_total\{cause="peer_unreachable",entry_operation="GET /checkout",entry_service="front",origin_operation="payments POST",origin_service="front",origin_version="1.2.3"\} 2\.0 # \{([^}]*)\} 1\.0`).FindStringSubmatch(out)
	if hop == nil || !strings.Contains(hop[1], `trace_id="00000000000000000000000000000006"`) || !strings.Contains(hop[1], `span_id="00000000000000b2"`) {
		t.Errorf("/metrics lacks the failing hop with its exemplar:\n%s", out)
	}
}

// TestCountsUnits: the units of work of a trace (fire-and-forget
// messages, testdata/traces/queue-consumer-downstream-500.json) are
// counted under their entry span, the failed one with its failing hop;
// the request that published the message succeeded.
func TestCountsUnits(t *testing.T) {
	ev, _, scrape := newTestCounter(t, defaultMaxSeries)
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "traces", "queue-consumer-downstream-500.json"))
	if err != nil {
		t.Fatal(err)
	}
	traces, err := tracejson.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ev.Evaluate(context.Background(), pcommon.TraceID{}, traceData(ptracetest.FromAnalyzer(traces[0]))); err != nil {
		t.Fatal(err)
	}
	out := scrape()
	for _, want := range []string{
		`failhop_requests_total{entry_operation="POST /orders",entry_service="front"} 1.0`,
		`failhop_requests_total{entry_operation="orders process",entry_service="fulfil"} 1.0`,
		`failhop_failed_requests_total{entry_operation="orders process",entry_service="fulfil"} 1.0`,
		`failhop_failing_hops_total{cause="db_error",entry_operation="orders process",entry_service="fulfil",origin_operation="postgresql UPDATE stock",origin_service="stock",origin_version=""} 1.0`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, `failhop_failed_requests_total{entry_operation="POST /orders"`) {
		t.Errorf("the request that published the message is counted failed:\n%s", out)
	}
}

// TestOverflow: 100,000 distinct operation names leave each metric with
// at most max_series series, the rest counted in its overflow series and
// in failhop_metrics_overflow_total.
func TestOverflow(t *testing.T) {
	const maxSeries, ops = 100, 100_000
	_, c, scrape := newTestCounter(t, maxSeries)
	for n := range ops {
		c.count(context.Background(), analyzer.Analyze(request(n, fmt.Sprintf("GET /op/%d", n), false)))
	}
	out := scrape()
	series := regexp.MustCompile(`(?m)^failhop_requests_total\{`).FindAllString(out, -1)
	if len(series) > maxSeries {
		t.Errorf("%d series of failhop_requests_total, want at most %d", len(series), maxSeries)
	}
	for _, want := range []string{
		`failhop_requests_total{otel_metric_overflow="true"} 99901.0`,
		`failhop_metrics_overflow_total{metric="failhop_requests_total"} 99901.0`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestEntryIsTheAnalyzers: the entry span a trace that succeeded is
// counted under (otlpconv.Entry, on pdata) is the span the analyzer
// starts at, on every trace fixture.
func TestEntryIsTheAnalyzers(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "traces", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".want.json") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		traces, err := tracejson.Decode(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, tr := range traces {
			n++
			r := analyzer.Analyze(tr)
			service, name, ok := otlpconv.Entry(ptracetest.FromAnalyzer(tr))
			if ok != (r.Problem == "") || ok && (service != r.Root.Service || name != r.Root.Name) {
				t.Errorf("%s: Entry %q %q %v, the analyzer starts at %q %q (problem %q)", filepath.Base(f), service, name, ok, r.Root.Service, r.Root.Name, r.Problem)
			}
		}
	}
	if n < 50 {
		t.Errorf("%d traces checked, want the fixtures' (50 or more)", n)
	}
}
