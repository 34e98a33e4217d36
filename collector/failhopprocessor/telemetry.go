package failhopprocessor

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/metric"
)

// The processor's own metrics, through the collector's telemetry (served
// on its Prometheus endpoint when service.telemetry.metrics.level is basic
// or more; see docs/pipeline.md).
const (
	metricAnalyzed = "otelcol_processor_failhop_traces_analyzed"
	metricMarked   = "otelcol_processor_failhop_traces_marked"
	metricLate     = "otelcol_processor_failhop_traces_late"
	metricDuration = "otelcol_processor_failhop_analysis_duration"
)

// telemetry holds the processor's instruments.
type telemetry struct {
	analyzed, marked, late metric.Int64Counter
	duration               metric.Float64Histogram
}

func newTelemetry(set component.TelemetrySettings) (*telemetry, error) {
	m := set.MeterProvider.Meter("github.com/failhop/failhop/collector/failhopprocessor")
	var t telemetry
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
	for _, d := range o.took {
		t.duration.Record(ctx, d.Seconds())
	}
}
