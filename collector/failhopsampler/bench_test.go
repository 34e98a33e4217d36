package failhopsampler

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.uber.org/zap"

	"github.com/failhop/failhop/analyzer"
	"github.com/failhop/failhop/collector/internal/ptracetest"
)

// benchTrace is a request of 20 spans: a server span and 19 SQL calls
// under it, the last of them failed when failed says so.
func benchTrace(failed bool) *analyzer.Trace {
	root := &analyzer.Span{SpanID: "0000000000000001", Service: "orders", Name: "POST /orders", Kind: analyzer.KindServer,
		Start: epoch, End: epoch.Add(30 * time.Millisecond), Resource: map[string]any{"service.version": "1.4.2"},
		Attributes: map[string]any{"http.request.method": "POST", "http.route": "/orders", "http.response.status_code": int64(201)}}
	tr := &analyzer.Trace{TraceID: "0000000000000000000000000000abcd", Spans: []*analyzer.Span{root}}
	for i := range 19 {
		tr.Spans = append(tr.Spans, &analyzer.Span{SpanID: fmt.Sprintf("%016x", i+2), ParentSpanID: root.SpanID, Service: "orders",
			Name: "SELECT stock", Kind: analyzer.KindClient, Start: epoch.Add(time.Duration(i) * time.Millisecond), End: epoch.Add(time.Duration(i+1) * time.Millisecond),
			Resource:   root.Resource,
			Attributes: map[string]any{"db.system.name": "postgresql", "db.query.text": "SELECT qty FROM stock WHERE item = $1", "db.operation.name": "SELECT"}})
	}
	if failed {
		last := tr.Spans[len(tr.Spans)-1]
		last.Status, last.Attributes["db.response.status_code"] = analyzer.StatusError, "42P01"
		root.Status, root.Attributes["http.response.status_code"] = analyzer.StatusError, int64(500)
	}
	return tr
}

// BenchmarkEvaluate is the policy's cost per trace of 20 spans, with the
// failure metrics (counting) and without (the sampling rule alone).
func BenchmarkEvaluate(b *testing.B) {
	for _, failed := range []bool{false, true} {
		for _, metrics := range []bool{false, true} {
			name := fmt.Sprintf("failed=%v/metrics=%v", failed, metrics)
			b.Run(name, func(b *testing.B) {
				cfg := &Config{Metrics: MetricsConfig{MaxSeries: defaultMaxSeries}}
				if metrics {
					cfg.Metrics.Endpoint = "127.0.0.1:0"
				}
				s, err := newSampler(cfg, zap.NewNop())
				if err != nil {
					b.Fatal(err)
				}
				ev, _ := s.NewEvaluator("failed", nil)
				td := traceData(ptracetest.FromAnalyzer(benchTrace(failed)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := ev.Evaluate(context.Background(), pcommon.TraceID{}, td); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
