package depthlimit

import (
	"context"
	"errors"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"
)

// Type is the extension's component type: "depth_limit".
var Type = component.MustNewType("depth_limit")

// DefaultMaxDepth is max_depth when the configuration does not set it.
const DefaultMaxDepth = 100

// Config is the extension's configuration.
type Config struct {
	// MaxDepth is how many AnyValues may nest in one another (an array in
	// an array is two). A request with deeper values is refused.
	MaxDepth int `mapstructure:"max_depth"`
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if c.MaxDepth < 1 {
		return errors.New("max_depth must be at least 1")
	}
	return nil
}

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
