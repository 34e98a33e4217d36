package gomemlimit

import (
	"context"
	"errors"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"
)

// Type is the extension's component type: "go_memory_limit".
var Type = component.MustNewType("go_memory_limit")

// DefaultRatio is ratio when the configuration does not set it: the soft
// limit sits above the memory_limiter's hard limit (75% of the cgroup's in
// failhop's configs), so the limiter refuses first and the runtime's
// harder collections bound what is already held.
const DefaultRatio = 0.8

// Config is the extension's configuration.
type Config struct {
	// Ratio is the soft memory limit's share of the cgroup's limit.
	Ratio float64 `mapstructure:"ratio"`
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if c.Ratio <= 0 || c.Ratio > 1 {
		return errors.New("ratio must be in (0, 1]")
	}
	return nil
}

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
