package rootwait

import (
	"context"
	_ "embed"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"

	"github.com/failhop/failhop/collector/internal/metadata"
)

//go:embed metadata.yaml
var metadataYAML []byte

// meta is the processor's metadata.yaml, where its type and stability are.
var meta = metadata.Must(metadataYAML)

// Type is the component type of the processor: "root_wait".
var Type = meta.ComponentType()

// NewFactory returns the factory of the root_wait processor.
func NewFactory() processor.Factory {
	return processor.NewFactory(
		Type,
		func() component.Config { return &Config{Wait: DefaultWait, DecisionWait: DefaultDecisionWait} },
		processor.WithTraces(createTraces, meta.Stability("traces")),
	)
}

func createTraces(_ context.Context, set processor.Settings, cfg component.Config, next consumer.Traces) (processor.Traces, error) {
	meter := meta.Meter(set.MeterProvider)
	held, err := meta.Int64Counter(meter, metricHeld)
	if err != nil {
		return nil, err
	}
	refused, err := meta.Int64Counter(meter, metricRefused)
	if err != nil {
		return nil, err
	}
	return newRootWait(cfg.(*Config), next, set.Logger, held, refused), nil
}
