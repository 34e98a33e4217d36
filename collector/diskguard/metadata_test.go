package diskguard

import (
	"bytes"
	"context"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/extension/xextension/storage"

	"github.com/failhop/failhop/collector/internal/metadatatest"
)

// hostWith is a collector host whose extensions are these.
type hostWith map[component.ID]component.Component

func (h hostWith) GetExtensions() map[component.ID]component.Component { return h }

// startFileStorage starts a file_storage extension in a directory of the
// test's, of at most maxSize bytes (0: no bound), shut down at the end.
func startFileStorage(t *testing.T, maxSize int64) hostWith {
	t.Helper()
	f := filestorage.NewFactory()
	cfg := f.CreateDefaultConfig().(*filestorage.Config)
	cfg.Directory, cfg.MaxSize = t.TempDir(), maxSize
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := ext.Start(context.Background(), hostWith{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ext.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return hostWith{component.MustNewID("file_storage"): ext}
}

// TestMetadata: the factory, README.md and the metrics the guard records
// are those of metadata.yaml. A file_storage too small for a write puts
// off a save; a closed one loses an item.
func TestMetadata(t *testing.T) {
	md := metadatatest.Load(t)
	f := NewFactory()
	metadatatest.CheckExtensionFactory(t, md, f)
	metadatatest.CheckREADME(t, md)

	tel := metadatatest.NewTelemetry(t)
	set := extensiontest.NewNopSettings(f.Type())
	set.TelemetrySettings = tel.Settings
	ext, err := f.Create(context.Background(), set, f.CreateDefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := ext.Start(context.Background(), startFileStorage(t, 1<<20)); err != nil {
		t.Fatal(err)
	}
	defer ext.Shutdown(context.Background())
	ctx := context.Background()
	c, err := ext.(storage.Extension).GetClient(ctx, component.KindExporter, component.MustNewID("otlp_grpc"), "traces")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Set(ctx, "item", []byte("spans")); err != nil {
		t.Fatal(err)
	}
	read := storage.GetOperation("item")
	if err := c.Batch(ctx, read, storage.SetOperation("position", make([]byte, 2<<20))); err != nil || !bytes.Equal(read.Value, []byte("spans")) {
		t.Fatalf("a read with a save that does not fit: %v, read %q", err, read.Value)
	}
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Batch(ctx, storage.GetOperation("item"), storage.SetOperation("position", nil)); err == nil {
		t.Fatal("a read from a closed storage succeeded")
	}
	metadatatest.CheckMetrics(t, md, tel)
}

func TestLifecycle(t *testing.T) {
	f := NewFactory()
	metadatatest.CheckLifecycle(t, startFileStorage(t, 0), func() (component.Component, error) {
		return f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), f.CreateDefaultConfig())
	})
}
