package failhopsampler

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"
)

// Type is the component type of the extension, and the policy type that
// tail_sampling's policies name: "failhop_sampler".
var Type = component.MustNewType("failhop_sampler")

// NewFactory returns the factory of the failhop sampler extension.
func NewFactory() extension.Factory {
	return extension.NewFactory(
		Type,
		func() component.Config { return &Config{Metrics: MetricsConfig{MaxSeries: defaultMaxSeries}} },
		func(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
			return newSampler(cfg.(*Config), set.Logger)
		},
		component.StabilityLevelBeta,
	)
}
