package failhopmetrics

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

// Type is the component type of the exporter: "failhop_metrics".
var Type = component.MustNewType("failhop_metrics")

// NewFactory returns the factory of the failhop_metrics exporter.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(
		Type,
		func() component.Config { return &Config{Endpoint: defaultEndpoint, MaxSeries: defaultMaxSeries} },
		exporter.WithTraces(createTraces, component.StabilityLevelAlpha),
	)
}

func createTraces(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Traces, error) {
	c := cfg.(*Config)
	m, err := newCounter(c.MaxSeries)
	if err != nil {
		return nil, err
	}
	e := &metricsExporter{endpoint: c.Endpoint, counter: m, logger: set.Logger}
	return exporterhelper.NewTraces(ctx, set, cfg, e.consume,
		exporterhelper.WithStart(e.start),
		exporterhelper.WithShutdown(e.shutdown),
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}))
}
