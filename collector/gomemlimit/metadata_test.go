package gomemlimit

import (
	"context"
	"runtime/debug"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"github.com/failhop/failhop/collector/internal/metadatatest"
)

// TestMetadata: the factory and README.md's status table are those of
// metadata.yaml (the extension has no self-metrics).
func TestMetadata(t *testing.T) {
	md := metadatatest.Load(t)
	metadatatest.CheckExtensionFactory(t, md, NewFactory())
	metadatatest.CheckREADME(t, md)
}

// TestLifecycle, which leaves the runtime's soft limit as it found it.
func TestLifecycle(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	f := NewFactory()
	metadatatest.CheckLifecycle(t, componenttest.NewNopHost(), func() (component.Component, error) {
		return f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), f.CreateDefaultConfig())
	})
	if after := debug.SetMemoryLimit(-1); after != before {
		t.Errorf("the runtime's soft limit is %d after the lifecycle, was %d", after, before)
	}
}
