package diskguard

import (
	"context"
	_ "embed"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"

	"github.com/failhop/failhop/collector/internal/metadata"
)

//go:embed metadata.yaml
var metadataYAML []byte

// meta is the extension's metadata.yaml, where its type, stability and
// metrics are.
var meta = metadata.Must(metadataYAML)

// Type is the extension's component type: "queue_disk_guard".
var Type = meta.ComponentType()

// NewFactory returns the factory of the queue_disk_guard extension.
func NewFactory() extension.Factory {
	return extension.NewFactory(
		Type,
		func() component.Config { return &Config{Storage: component.MustNewID("file_storage")} },
		func(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
			return newGuard(set, cfg.(*Config).Storage)
		},
		meta.Stability("extension"),
	)
}
