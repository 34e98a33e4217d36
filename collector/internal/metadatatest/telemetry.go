package metadatatest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/failhop/failhop/collector/internal/metadata"
)

// Telemetry is TelemetrySettings for a component under test whose
// metrics a ManualReader reads.
type Telemetry struct {
	Settings component.TelemetrySettings
	reader   *sdkmetric.ManualReader
}

// NewTelemetry returns a Telemetry whose meter provider the test's end
// shuts down.
func NewTelemetry(t *testing.T) *Telemetry {
	reader := sdkmetric.NewManualReader()
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() {
		if err := provider.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	})
	set := componenttest.NewNopTelemetrySettings()
	set.MeterProvider = provider
	return &Telemetry{Settings: set, reader: reader}
}

// CheckMetrics checks the metrics the component recorded into tel against
// metadata.yaml's telemetry: every metric it recorded is there with its
// description, unit, kind and attributes, and it recorded every enabled
// one (the test makes it record each). It reads the metrics of the
// component's scope (scope_name), not those the collector's helpers
// record about it. The SDK reads a metric only once it has a measurement.
func CheckMetrics(t *testing.T, md metadata.Metadata, tel *Telemetry) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := tel.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	declared := map[string]metadata.Metric{}
	for key, m := range md.Telemetry.Metrics {
		declared[metadata.MetricName(key)] = m
	}
	seen := map[string]bool{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != md.ScopeName {
			continue
		}
		for _, got := range sm.Metrics {
			seen[got.Name] = true
			want, ok := declared[got.Name]
			if !ok {
				t.Errorf("metric %s is not in metadata.yaml", got.Name)
				continue
			}
			if !want.Enabled {
				t.Errorf("metric %s is recorded, but not enabled in metadata.yaml", got.Name)
			}
			if g, w := recorded(got), expected(want); g != w {
				t.Errorf("metric %s:\n recorded     %s\n metadata.yaml %s", got.Name, g, w)
			}
		}
	}
	for name, m := range declared {
		if m.Enabled && !seen[name] {
			t.Errorf("metric %s of metadata.yaml was not recorded", name)
		}
	}
}

// expected describes a metric of metadata.yaml as recorded describes one
// the SDK read.
func expected(m metadata.Metric) string {
	kind := m.Kind()
	if m.Histogram != nil {
		kind += fmt.Sprintf(" bounds=%v", m.Histogram.BucketBoundaries)
	}
	return describe(m.Description, m.Unit, kind, slices.Sorted(slices.Values(m.Attributes)))
}

func recorded(m metricdata.Metrics) string {
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		return describe(m.Description, m.Unit, "sum int"+monotonic(d.IsMonotonic), keys(d.DataPoints))
	case metricdata.Sum[float64]:
		return describe(m.Description, m.Unit, "sum double"+monotonic(d.IsMonotonic), keys(d.DataPoints))
	case metricdata.Gauge[int64]:
		return describe(m.Description, m.Unit, "gauge int", keys(d.DataPoints))
	case metricdata.Gauge[float64]:
		return describe(m.Description, m.Unit, "gauge double", keys(d.DataPoints))
	case metricdata.Histogram[int64]:
		return describe(m.Description, m.Unit, "histogram int bounds="+bounds(d.DataPoints), histogramKeys(d.DataPoints))
	case metricdata.Histogram[float64]:
		return describe(m.Description, m.Unit, "histogram double bounds="+bounds(d.DataPoints), histogramKeys(d.DataPoints))
	}
	return fmt.Sprintf("a %T", m.Data)
}

func monotonic(is bool) string {
	if is {
		return " monotonic"
	}
	return ""
}

func describe(description, unit, kind string, attrs []string) string {
	return fmt.Sprintf("%q, unit %q, %s, attributes %v", description, unit, kind, attrs)
}

// keys lists the attribute keys of the data points, all of which must
// have the same.
func keys[N int64 | float64](dps []metricdata.DataPoint[N]) []string {
	sets := make([]attribute.Set, len(dps))
	for i, dp := range dps {
		sets[i] = dp.Attributes
	}
	return setKeys(sets)
}

func histogramKeys[N int64 | float64](dps []metricdata.HistogramDataPoint[N]) []string {
	sets := make([]attribute.Set, len(dps))
	for i, dp := range dps {
		sets[i] = dp.Attributes
	}
	return setKeys(sets)
}

// setKeys is the keys of the sets if they all have the same, else a
// list that says they differ.
func setKeys(sets []attribute.Set) []string {
	var out []string
	for i, s := range sets {
		var ks []string
		for _, kv := range s.ToSlice() {
			ks = append(ks, string(kv.Key))
		}
		if i > 0 && !slices.Equal(ks, out) {
			return []string{fmt.Sprintf("differing: %v and %v", out, ks)}
		}
		out = ks
	}
	return out
}

func bounds[N int64 | float64](dps []metricdata.HistogramDataPoint[N]) string {
	if len(dps) == 0 {
		return "[]"
	}
	return fmt.Sprint(dps[0].Bounds)
}
