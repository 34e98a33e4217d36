package diskguard

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/failhop/failhop/collector/internal/throttled"
)

// guard is the extension: it finds the storage it guards at Start and
// wraps each client that storage gives.
type guard struct {
	storageID component.ID
	storage   storage.Extension
	logger    *zap.Logger
	putOff    metric.Int64Counter
	lost      metric.Int64Counter

	putOffs throttled.Counts // saves put off since the last warning
}

func newGuard(set extension.Settings, storageID component.ID) (*guard, error) {
	meter := meta.Meter(set.MeterProvider)
	putOff, err := meta.Int64Counter(meter, "otelcol_queue_disk_guard_saves_put_off")
	if err != nil {
		return nil, err
	}
	lost, err := meta.Int64Counter(meter, "otelcol_queue_disk_guard_items_lost")
	if err != nil {
		return nil, err
	}
	return &guard{storageID: storageID, logger: set.Logger, putOff: putOff, lost: lost}, nil
}

// Start finds the guarded storage extension.
func (g *guard) Start(_ context.Context, host component.Host) error {
	s, ok := host.GetExtensions()[g.storageID].(storage.Extension)
	if !ok {
		return fmt.Errorf("queue_disk_guard: %s is not a storage extension of this collector (add it to service.extensions)", g.storageID)
	}
	g.storage = s
	return nil
}

func (g *guard) Shutdown(context.Context) error { return nil }

// GetClient returns the guarded storage's client for the component:
// guarded for an exporter (its persistent queue's), as it is for others.
func (g *guard) GetClient(ctx context.Context, kind component.Kind, id component.ID, name string) (storage.Client, error) {
	c, err := g.storage.GetClient(ctx, kind, id, name)
	if err != nil || kind != component.KindExporter {
		return c, err
	}
	return &client{Client: c, guard: g}, nil
}

// client is a storage client whose batches of reads and writes still read
// when their writes fail.
type client struct {
	storage.Client
	guard *guard
}

// Batch runs ops; if they fail and both read and write (no delete: the
// queue's read of an item with the save of its position), it runs the
// reads alone, and succeeds if they find what they read. A read that finds
// nothing (an item whose own write failed) fails as the batch did.
func (c *client) Batch(ctx context.Context, ops ...*storage.Operation) error {
	err := c.Client.Batch(ctx, ops...)
	if err == nil || !readsAndWrites(ops) {
		return err
	}
	for _, op := range ops {
		if op.Type != storage.Get {
			continue
		}
		v, getErr := c.Client.Get(ctx, op.Key)
		switch {
		case getErr != nil:
			c.guard.itemLost(ctx, err, getErr)
			return err
		case v == nil:
			return err
		}
		op.Value = v
	}
	c.guard.savePutOff(ctx, err)
	return nil
}

// readsAndWrites reports whether ops both read and write, without
// deleting.
func readsAndWrites(ops []*storage.Operation) bool {
	var reads, writes bool
	for _, op := range ops {
		switch op.Type {
		case storage.Get:
			reads = true
		case storage.Set:
			writes = true
		case storage.Delete:
			return false
		}
	}
	return reads && writes
}

func (g *guard) savePutOff(ctx context.Context, err error) {
	g.putOff.Add(ctx, 1)
	if n, ok := g.putOffs.Add(time.Now(), 1); ok {
		g.logger.Warn("queue_disk_guard: the queue's disk is full: items are read back and sent without saving the queue's read position until a write succeeds (a restart meanwhile sends them again)",
			zap.Int("reads", n[0]), zap.Error(err))
	}
}

func (g *guard) itemLost(ctx context.Context, batchErr, readErr error) {
	g.lost.Add(ctx, 1)
	g.logger.Error("queue_disk_guard: a queue item could not be read back from the disk: its data is lost",
		zap.NamedError("write_error", batchErr), zap.NamedError("read_error", readErr))
}
