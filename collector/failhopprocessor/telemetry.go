package failhopprocessor

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/failhop/failhop/collector/internal/throttled"
)

// The processor's own metrics, through the collector's telemetry (served
// on its Prometheus endpoint when service.telemetry.metrics.level is basic
// or more; see docs/pipeline.md). Their description, unit and buckets are
// in metadata.yaml.
const (
	metricAnalyzed = "otelcol_processor_failhop_traces_analyzed"
	metricMarked   = "otelcol_processor_failhop_traces_marked"
	metricLate     = "otelcol_processor_failhop_traces_late"
	// Marked traces that lacked spans: the mark is on where the failure
	// was last seen, with low confidence.
	metricIncomplete = "otelcol_processor_failhop_traces_incomplete"
	metricDuration   = "otelcol_processor_failhop_analysis_duration"
)

// telemetry holds the processor's instruments, and the log of incomplete
// traces: a warning at most every throttled.Every with their count.
type telemetry struct {
	analyzed, marked, late, incomplete metric.Int64Counter
	duration                           metric.Float64Histogram

	logger          *zap.Logger
	incompleteCount throttled.Counts // incomplete traces since the last warning
}

func newTelemetry(set component.TelemetrySettings) (*telemetry, error) {
	m := meta.Meter(set.MeterProvider)
	t := telemetry{logger: set.Logger}
	var errs [5]error
	t.analyzed, errs[0] = meta.Int64Counter(m, metricAnalyzed)
	t.marked, errs[1] = meta.Int64Counter(m, metricMarked)
	t.late, errs[2] = meta.Int64Counter(m, metricLate)
	t.incomplete, errs[3] = meta.Int64Counter(m, metricIncomplete)
	t.duration, errs[4] = meta.Float64Histogram(m, metricDuration)
	if err := errors.Join(errs[:]...); err != nil {
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

// warnIncomplete logs incomplete traces, at most every throttled.Every.
func (t *telemetry) warnIncomplete(n int) {
	if counts, ok := t.incompleteCount.Add(time.Now(), n); ok {
		t.logger.Warn("failhop: failed traces were incomplete when analyzed (spans evicted or dropped before the analysis, not exported yet, or past its span limit): marked with low confidence; see failhop.failing_hop.reason on their root spans",
			zap.Int("traces", counts[0]))
	}
}
