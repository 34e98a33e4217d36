package failhopsampler

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"
)

// Type is the component type of the extension, and the policy type that
// tail_sampling's policies name: "failhop_sampler".
var Type = component.MustNewType("failhop_sampler")

// Config is the extension's configuration. It has no settings: the rule
// is analyzer.Failed.
type Config struct{}

// NewFactory returns the factory of the failhop sampler extension.
func NewFactory() extension.Factory {
	return extension.NewFactory(
		Type,
		func() component.Config { return &Config{} },
		func(context.Context, extension.Settings, component.Config) (extension.Extension, error) {
			return sampler{}, nil
		},
		component.StabilityLevelBeta,
	)
}
