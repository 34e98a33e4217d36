package gomemlimit

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"
)

// Type is the extension's component type: "go_memory_limit".
var Type = component.MustNewType("go_memory_limit")

// NewFactory returns the factory of the go_memory_limit extension.
func NewFactory() extension.Factory {
	return extension.NewFactory(
		Type,
		func() component.Config { return &Config{Ratio: DefaultRatio} },
		func(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
			return &limit{logger: set.Logger, ratio: cfg.(*Config).Ratio}, nil
		},
		component.StabilityLevelAlpha,
	)
}
