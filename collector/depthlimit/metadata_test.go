package depthlimit

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"github.com/failhop/failhop/collector/internal/metadatatest"
)

// TestMetadata: the factory, README.md and the metrics the extension
// records are those of metadata.yaml.
func TestMetadata(t *testing.T) {
	md := metadatatest.Load(t)
	f := NewFactory()
	metadatatest.CheckExtensionFactory(t, md, f)
	metadatatest.CheckREADME(t, md)

	tel := metadatatest.NewTelemetry(t)
	set := extensiontest.NewNopSettings(f.Type())
	set.TelemetrySettings = tel.Settings
	ext, err := f.Create(context.Background(), set, &Config{MaxDepth: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := ext.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	defer ext.Shutdown(context.Background())
	// A request nesting 5 deep, over HTTP, is refused.
	wrap, err := ext.(*limit).GetHTTPHandler(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	h, err := wrap(context.Background(), http.NotFoundHandler())
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, "/v1/traces", bytes.NewReader(requests(t, 5)["/v1/traces"]))
	r.Header.Set("Content-Type", "application/x-protobuf")
	if h.ServeHTTP(w, r); w.Code != http.StatusBadRequest {
		t.Fatalf("status %d, want 400", w.Code)
	}
	metadatatest.CheckMetrics(t, md, tel)
}

func TestLifecycle(t *testing.T) {
	f := NewFactory()
	metadatatest.CheckLifecycle(t, componenttest.NewNopHost(), func() (component.Component, error) {
		return f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), f.CreateDefaultConfig())
	})
}
