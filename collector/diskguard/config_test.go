package diskguard

import (
	"testing"

	"go.opentelemetry.io/collector/component"
)

func TestValidate(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	if err := cfg.Validate(); err != nil {
		t.Errorf("default config: %v", err)
	}
	for _, storage := range []component.ID{{}, component.MustNewID("queue_disk_guard"), component.MustNewIDWithName("queue_disk_guard", "inner")} {
		if err := (&Config{Storage: storage}).Validate(); err == nil {
			t.Errorf("storage %q: no error", storage)
		}
	}
	if err := (&Config{Storage: component.MustNewIDWithName("file_storage", "queue")}).Validate(); err != nil {
		t.Errorf("storage file_storage/queue: %v", err)
	}
}
