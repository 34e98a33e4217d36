package metadata

import (
	"context"
	"strings"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// An instrument takes its description and unit from metadata.yaml; a
// name it does not declare, or declares as another kind, is an error; a
// metric not enabled records nothing.
func TestInstruments(t *testing.T) {
	md, err := Parse([]byte(processor + `
    processor_example_off:
      enabled: false
      description: Off
      unit: "1"
      sum: {value_type: int, monotonic: true}
`))
	if err != nil {
		t.Fatal(err)
	}
	reader := sdkmetric.NewManualReader()
	meter := md.Meter(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	for name, want := range map[string]string{
		"otelcol_processor_example_other": "not in example's metadata.yaml",
		"processor_example_items":         "not in example's metadata.yaml",
	} {
		if _, err := md.Int64Counter(meter, name); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error with %q", name, err, want)
		}
	}
	if _, err := md.Float64Histogram(meter, "otelcol_processor_example_items"); err == nil || !strings.Contains(err.Error(), "is a sum int monotonic") {
		t.Errorf("a counter registered as a histogram: %v", err)
	}
	for _, name := range []string{"otelcol_processor_example_items", "otelcol_processor_example_off"} {
		c, err := md.Int64Counter(meter, name)
		if err != nil {
			t.Fatal(err)
		}
		c.Add(context.Background(), 1)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	if len(rm.ScopeMetrics) != 1 || rm.ScopeMetrics[0].Scope.Name != "example.com/example" || len(rm.ScopeMetrics[0].Metrics) != 1 {
		t.Fatalf("recorded %+v, want one metric of scope example.com/example", rm.ScopeMetrics)
	}
	if m := rm.ScopeMetrics[0].Metrics[0]; m.Name != "otelcol_processor_example_items" || m.Description != "Items" || m.Unit != "{item}" {
		t.Errorf("recorded %s %q %q", m.Name, m.Description, m.Unit)
	}
}
