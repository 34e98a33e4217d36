package failhopprocessor

import (
	"context"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/ptrace"
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
	p, err := f.CreateTraces(context.Background(), set, f.CreateDefaultConfig(), consumertest.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown(context.Background())
	// A failed trace (analyzed, marked, timed), then its database's spans
	// again (late), then a trace without the span its failure came from
	// (incomplete).
	spans := dbError("")
	for _, td := range []ptrace.Traces{build(spans...), build(spans[2:]...), incompleteTrace()} {
		if err := p.ConsumeTraces(context.Background(), td); err != nil {
			t.Fatal(err)
		}
	}
	metadatatest.CheckMetrics(t, md, tel)
}

func TestLifecycle(t *testing.T) {
	f := NewFactory()
	metadatatest.CheckLifecycle(t, componenttest.NewNopHost(), func() (component.Component, error) {
		return f.CreateTraces(context.Background(), processortest.NewNopSettings(f.Type()), f.CreateDefaultConfig(), consumertest.NewNop())
	})
}
