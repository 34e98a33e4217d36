package metadata

import (
	"fmt"
	"strings"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
)

// Meter is the meter of the component's self-metrics, of its scope_name.
func (md Metadata) Meter(provider metric.MeterProvider) metric.Meter {
	return provider.Meter(md.ScopeName)
}

// Int64Counter registers the counter name on meter with its description
// and unit from metadata.yaml, where name less "otelcol_" is a monotonic
// int sum; one that is not enabled counts nothing.
func (md Metadata) Int64Counter(meter metric.Meter, name string) (metric.Int64Counter, error) {
	m, err := md.metric(name, "sum int monotonic")
	if err != nil {
		return nil, err
	}
	return enabled(meter, m).Int64Counter(name, metric.WithDescription(m.Description), metric.WithUnit(m.Unit))
}

// Float64Histogram registers the histogram name on meter with its
// description, unit and buckets from metadata.yaml, where name less
// "otelcol_" is a double histogram; one that is not enabled records
// nothing.
func (md Metadata) Float64Histogram(meter metric.Meter, name string) (metric.Float64Histogram, error) {
	m, err := md.metric(name, "histogram double")
	if err != nil {
		return nil, err
	}
	return enabled(meter, m).Float64Histogram(name, metric.WithDescription(m.Description), metric.WithUnit(m.Unit),
		metric.WithExplicitBucketBoundaries(m.Histogram.BucketBoundaries...))
}

// metric is the metric registered as name, which must be of kind.
func (md Metadata) metric(name, kind string) (Metric, error) {
	key, ok := strings.CutPrefix(name, metricPrefix)
	m, declared := md.Telemetry.Metrics[key]
	if !ok || !declared {
		return Metric{}, fmt.Errorf("metric %s is not in %s's metadata.yaml", name, md.Type)
	}
	if m.Kind() != kind {
		return Metric{}, fmt.Errorf("metric %s is a %s in %s's metadata.yaml, registered as a %s", name, m.Kind(), md.Type, kind)
	}
	return m, nil
}

func enabled(meter metric.Meter, m Metric) metric.Meter {
	if !m.Enabled {
		return noop.Meter{}
	}
	return meter
}
