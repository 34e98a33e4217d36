package depthlimit

import (
	"testing"

	"go.opentelemetry.io/collector/confmap"
)

func TestConfig(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	if cfg.MaxDepth != DefaultMaxDepth || cfg.Validate() != nil {
		t.Errorf("default config %+v", cfg)
	}
	if err := confmap.NewFromStringMap(map[string]any{"max_depth": 0}).Unmarshal(cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err == nil {
		t.Error("max_depth 0 accepted")
	}
}
