package failhopprocessor

import (
	"context"
	"testing"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/processor/processortest"
)

func TestFactory(t *testing.T) {
	f := NewFactory()
	if got := f.Type().String(); got != "failhop" {
		t.Errorf("type = %q", got)
	}
	cfg := f.CreateDefaultConfig()
	if err := componenttest.CheckConfigStruct(cfg); err != nil {
		t.Fatal(err)
	}
	// An empty section (`failhop:` in a config) unmarshals.
	if err := confmap.New().Unmarshal(cfg); err != nil {
		t.Fatal(err)
	}
	// An unknown setting is an error, as for every component.
	bad := confmap.NewFromStringMap(map[string]any{"enabled": true})
	if err := bad.Unmarshal(f.CreateDefaultConfig()); err == nil {
		t.Error("an unknown setting was accepted")
	}

	sink := new(consumertest.TracesSink)
	p, err := f.CreateTraces(context.Background(), processortest.NewNopSettings(f.Type()), cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Capabilities().MutatesData {
		t.Error("the processor writes attributes: it must declare MutatesData")
	}
	if err := p.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := p.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	if err := p.ConsumeTraces(context.Background(), build(dbError("")...)); err != nil {
		t.Fatal(err)
	}
	all := sink.AllTraces()
	if len(all) != 1 || all[0].SpanCount() != 4 {
		t.Fatalf("sink got %d batches", len(all))
	}
	if got := marksOf(all[0], "root", "db"); got["db"] != originMarks(1) || got["root"] == "" {
		t.Errorf("marks = %v", got)
	}
}
