package gomemlimit

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

// Type is the extension's component type: "go_memory_limit".
var Type = meta.ComponentType()

// NewFactory returns the factory of the go_memory_limit extension.
func NewFactory() extension.Factory {
	return extension.NewFactory(
		Type,
		func() component.Config { return &Config{Ratio: DefaultRatio} },
		func(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
			return &limit{logger: set.Logger, ratio: cfg.(*Config).Ratio, previous: -1}, nil
		},
		meta.Stability("extension"),
	)
}
