package failhopprocessor

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
)

// The processor's own metrics, through the collector's telemetry (served
// on its Prometheus endpoint when service.telemetry.metrics.level is basic
// or more; see docs/pipeline.md).
const (
	metricAnalyzed = "otelcol_processor_failhop_traces_analyzed"
	metricMarked   = "otelcol_processor_failhop_traces_marked"
	metricLate     = "otelcol_processor_failhop_traces_late"
	// Marked traces that lacked spans: the mark is on where the failure
	// was last seen, with low confidence.
	metricIncomplete = "otelcol_processor_failhop_traces_incomplete"
	metricDuration   = "otelcol_processor_failhop_analysis_duration"
)

// warnEvery is how often at most incomplete traces are logged.
const warnEvery = 10 * time.Second

// telemetry holds the processor's instruments, and the log of incomplete
// traces: a warning at most every warnEvery with their count.
type telemetry struct {
	analyzed, marked, late, incomplete metric.Int64Counter
	duration                           metric.Float64Histogram

	logger     *zap.Logger
	mu         sync.Mutex
	unreported int       // incomplete traces since the last warning
	warned     time.Time // when it was logged
}

func newTelemetry(set component.TelemetrySettings) (*telemetry, error) {
	m := set.MeterProvider.Meter("github.com/failhop/failhop/collector/failhopprocessor")
	t := telemetry{logger: set.Logger}
	var err error
	if t.analyzed, err = m.Int64Counter(metricAnalyzed, metric.WithUnit("{trace}"),
		metric.WithDescription("Traces with a failed span that the processor analyzed")); err != nil {
		return nil, err
	}
	if t.marked, err = m.Int64Counter(metricMarked, metric.WithUnit("{trace}"),
		metric.WithDescription("Analyzed traces whose request failed, marked with failhop.root_cause")); err != nil {
		return nil, err
	}
	if t.late, err = m.Int64Counter(metricLate, metric.WithUnit("{trace}"),
		metric.WithDescription("Traces with a failed span that came after the trace was processed (late spans), passed on unanalyzed")); err != nil {
		return nil, err
	}
	if t.incomplete, err = m.Int64Counter(metricIncomplete, metric.WithUnit("{trace}"),
		metric.WithDescription("Marked traces that were incomplete when analyzed (spans evicted, dropped or late, or past the span limit): marked with low confidence")); err != nil {
		return nil, err
	}
	if t.duration, err = m.Float64Histogram(metricDuration, metric.WithUnit("s"),
		metric.WithDescription("How long the analysis of one trace took"),
		metric.WithExplicitBucketBoundaries(0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1)); err != nil {
		return nil, err
	}
	return &t, nil
}

// record adds a batch's outcome.
func (t *telemetry) record(ctx context.Context, o outcome) {
	if o.analyzed > 0 {
		t.analyzed.Add(ctx, int64(o.analyzed))
	}
	if o.marked > 0 {
		t.marked.Add(ctx, int64(o.marked))
	}
	if o.late > 0 {
		t.late.Add(ctx, int64(o.late))
	}
	if o.incomplete > 0 {
		t.incomplete.Add(ctx, int64(o.incomplete))
		t.warnIncomplete(o.incomplete)
	}
	for _, d := range o.took {
		t.duration.Record(ctx, d.Seconds())
	}
}

// warnIncomplete logs incomplete traces, at most every warnEvery.
func (t *telemetry) warnIncomplete(n int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.unreported += n
	if time.Since(t.warned) < warnEvery {
		return
	}
	t.logger.Warn("failhop: failed traces were incomplete when analyzed (spans evicted or dropped before the analysis, not exported yet, or past its span limit): marked with low confidence; see failhop.failing_hop.reason on their root spans",
		zap.Int("traces", t.unreported))
	t.unreported, t.warned = 0, time.Now()
}
