package depthlimit

import (
	"context"
	_ "embed"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"

	"github.com/failhop/failhop/collector/internal/metadata"
)

//go:embed metadata.yaml
var metadataYAML []byte

// meta is the extension's metadata.yaml, where its type and stability are.
var meta = metadata.Must(metadataYAML)

// Type is the extension's component type: "depth_limit".
var Type = meta.ComponentType()

// NewFactory returns the factory of the depth_limit extension.
func NewFactory() extension.Factory {
	return extension.NewFactory(
		Type,
		func() component.Config { return &Config{MaxDepth: DefaultMaxDepth} },
		func(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
			return newLimit(set, cfg.(*Config).MaxDepth)
		},
		meta.Stability("extension"),
	)
}
