package failhopprocessor

import (
	"context"
	_ "embed"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"

	"github.com/failhop/failhop/collector/internal/metadata"
)

//go:embed metadata.yaml
var metadataYAML []byte

// meta is the processor's metadata.yaml, where its type and stability are.
var meta = metadata.Must(metadataYAML)

// Type is the component type of the processor: "failhop".
var Type = meta.ComponentType()

// NewFactory returns the factory of the failhop processor.
func NewFactory() processor.Factory {
	return processor.NewFactory(
		Type,
		func() component.Config { return &Config{} },
		processor.WithTraces(createTraces, meta.Stability("traces")),
	)
}

func createTraces(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Traces) (processor.Traces, error) {
	tel, err := newTelemetry(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	p := &failhop{seen: newRecentTraces(rememberedTraces), tel: tel}
	return processorhelper.NewTraces(ctx, set, cfg, next, p.processTraces,
		processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true}))
}
