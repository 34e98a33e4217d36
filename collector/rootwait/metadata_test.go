package rootwait

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/failhop/failhop/collector/internal/metadatatest"
)

// TestMetadata: the factory, README.md and the metrics the processor
// records are those of metadata.yaml.
func TestMetadata(t *testing.T) {
	md := metadatatest.Load(t)
	f := NewFactory()
	metadatatest.CheckProcessorFactory(t, md, f)
	metadatatest.CheckREADME(t, md)

	tel := metadatatest.NewTelemetry(t)
	set := processortest.NewNopSettings(f.Type())
	set.TelemetrySettings = tel.Settings
	cfg := &Config{Wait: time.Hour, DecisionWait: 2 * time.Hour, MaxTraces: 2} // one trace in flight
	p, err := f.CreateTraces(context.Background(), set, cfg, consumertest.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown(context.Background())
	// The first trace's root span is held; the second trace is refused.
	if err := p.ConsumeTraces(context.Background(), batch(1)); err != nil {
		t.Fatal(err)
	}
	if err := p.ConsumeTraces(context.Background(), batch(2)); err == nil {
		t.Fatal("a trace past max_traces' bound was accepted")
	}
	metadatatest.CheckMetrics(t, md, tel)
}

func TestLifecycle(t *testing.T) {
	f := NewFactory()
	metadatatest.CheckLifecycle(t, componenttest.NewNopHost(), func() (component.Component, error) {
		return f.CreateTraces(context.Background(), processortest.NewNopSettings(f.Type()), f.CreateDefaultConfig(), consumertest.NewNop())
	})
}
