package failhopsampler

import "testing"

func TestValidate(t *testing.T) {
	if err := NewFactory().CreateDefaultConfig().(*Config).Validate(); err != nil {
		t.Errorf("default config: %v", err)
	}
	for _, tc := range []struct {
		metrics MetricsConfig
		ok      bool
	}{
		{MetricsConfig{}, true}, // no metrics: the bound does not matter
		{MetricsConfig{Endpoint: "127.0.0.1:8889", MaxSeries: 2}, true},
		{MetricsConfig{Endpoint: ":8889", MaxSeries: defaultMaxSeries}, true},
		{MetricsConfig{Endpoint: "127.0.0.1", MaxSeries: defaultMaxSeries}, false},
		{MetricsConfig{Endpoint: "127.0.0.1:8889", MaxSeries: 1}, false},
	} {
		if err := (&Config{Metrics: tc.metrics}).Validate(); (err == nil) != tc.ok {
			t.Errorf("%+v: Validate() = %v, want ok %v", tc.metrics, err, tc.ok)
		}
	}
}
