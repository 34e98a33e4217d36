package metadatatest

import (
	"context"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.uber.org/goleak"
)

// CheckLifecycle creates the component twice with create: it starts the
// first in host and shuts it down, and shuts down the second without a
// start (as a collector that fails to start does). Neither may fail, nor
// leave a goroutine running.
func CheckLifecycle(t *testing.T, host component.Host, create func() (component.Component, error)) {
	t.Helper()
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx := context.Background()
	c, err := create()
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if err := c.Start(ctx, host); err != nil {
		t.Fatalf("start: %v", err)
	}
	if err := c.Shutdown(ctx); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	unstarted, err := create()
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if err := unstarted.Shutdown(ctx); err != nil {
		t.Errorf("shutdown without a start: %v", err)
	}
}
