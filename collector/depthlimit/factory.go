package depthlimit

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"
)

// Type is the extension's component type: "depth_limit".
var Type = component.MustNewType("depth_limit")

// NewFactory returns the factory of the depth_limit extension.
func NewFactory() extension.Factory {
	return extension.NewFactory(
		Type,
		func() component.Config { return &Config{MaxDepth: DefaultMaxDepth} },
		func(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
			return newLimit(set, cfg.(*Config).MaxDepth)
		},
		component.StabilityLevelAlpha,
	)
}
