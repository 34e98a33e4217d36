package diskguard

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"
)

// Type is the extension's component type: "queue_disk_guard".
var Type = component.MustNewType("queue_disk_guard")

// NewFactory returns the factory of the queue_disk_guard extension.
func NewFactory() extension.Factory {
	return extension.NewFactory(
		Type,
		func() component.Config { return &Config{Storage: component.MustNewID("file_storage")} },
		func(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
			return newGuard(set, cfg.(*Config).Storage)
		},
		component.StabilityLevelAlpha,
	)
}
