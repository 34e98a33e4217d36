package failhopsampler

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

// Type is the component type of the extension, and the policy type that
// tail_sampling's policies name: "failhop_sampler".
var Type = meta.ComponentType()

// NewFactory returns the factory of the failhop sampler extension.
func NewFactory() extension.Factory {
	return extension.NewFactory(
		Type,
		func() component.Config { return &Config{Metrics: MetricsConfig{MaxSeries: defaultMaxSeries}} },
		func(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
			return newSampler(cfg.(*Config), set.Logger)
		},
		meta.Stability("extension"),
	)
}
