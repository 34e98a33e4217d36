package diskguard

import (
	"context"
	"errors"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// fullDisk is storage on a full disk: what is stored reads back, and every
// batch that writes fails, whole, as bbolt's transactions do.
type fullDisk struct {
	storage.Client
	items map[string][]byte
}

var errNoSpace = errors.New("write queue/exporter: no space left on device")

func (d *fullDisk) Get(_ context.Context, key string) ([]byte, error) { return d.items[key], nil }

func (d *fullDisk) Batch(_ context.Context, ops ...*storage.Operation) error {
	for _, op := range ops {
		if op.Type != storage.Get {
			return errNoSpace
		}
	}
	for _, op := range ops {
		op.Value = d.items[op.Key]
	}
	return nil
}

// TestBatchShapes runs the persistent queue's batches on a full disk: the
// read of an item with the save of its position gets the item; a read of
// an item whose own write failed, a write of new items and a delete fail
// as they would without the guard.
func TestBatchShapes(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	set := extensiontest.NewNopSettings(Type)
	set.Logger = zap.New(core)
	g, err := newGuard(set, component.MustNewID("file_storage"))
	if err != nil {
		t.Fatal(err)
	}
	c := &client{Client: &fullDisk{items: map[string][]byte{"7": []byte("spans")}}, guard: g}
	ctx := context.Background()

	read := storage.GetOperation("7")
	if err := c.Batch(ctx, storage.SetOperation("qmv0", []byte("position")), read); err != nil || string(read.Value) != "spans" {
		t.Errorf("read with the save of the position: %v, %q; want the item", err, read.Value)
	}
	if entries := logs.All(); len(entries) != 1 || entries[0].ContextMap()["reads"] != int64(1) {
		t.Errorf("logged %v, want one warning of the 1 save put off", entries)
	}
	for name, ops := range map[string][]*storage.Operation{
		"a read of a phantom item": {storage.SetOperation("qmv0", nil), storage.GetOperation("8")},
		"a write of a new item":    {storage.SetOperation("8", []byte("spans")), storage.SetOperation("qmv0", nil)},
		"a delete":                 {storage.SetOperation("qmv0", nil), storage.DeleteOperation("7")},
	} {
		if err := c.Batch(ctx, ops...); !errors.Is(err, errNoSpace) {
			t.Errorf("%s: %v, want the disk's error", name, err)
		}
	}
}
