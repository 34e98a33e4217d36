// Package metadatatest checks a component against its metadata.yaml
// (package metadata), as the tests mdatagen would generate do: its
// factory's type and stability, its README's status table, the
// self-metrics it registers (read through an SDK ManualReader from the
// TelemetrySettings it is created with) and its lifecycle. Each
// component's metadata_test.go calls it.
package metadatatest

import (
	"cmp"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/processor"

	"github.com/failhop/failhop/collector/internal/metadata"
)

// Load reads metadata.yaml of the package under test.
func Load(t *testing.T) metadata.Metadata {
	t.Helper()
	b, err := os.ReadFile("metadata.yaml")
	if err != nil {
		t.Fatal(err)
	}
	md, err := metadata.Parse(b)
	if err != nil {
		t.Fatalf("metadata.yaml: %v", err)
	}
	return md
}

// signals are the pipelines a processor may take.
var signals = []string{"traces", "metrics", "logs"}

// CheckProcessorFactory checks f's type and the stability of each signal.
func CheckProcessorFactory(t *testing.T, md metadata.Metadata, f processor.Factory) {
	t.Helper()
	checkType(t, md, f.Type())
	got := map[string]component.StabilityLevel{"traces": f.TracesStability(), "metrics": f.MetricsStability(), "logs": f.LogsStability()}
	for _, s := range signals {
		if want := md.Stability(s); got[s] != want {
			t.Errorf("%s stability: factory %v, metadata.yaml %v", s, got[s], want)
		}
	}
}

// CheckExtensionFactory checks f's type and stability.
func CheckExtensionFactory(t *testing.T, md metadata.Metadata, f extension.Factory) {
	t.Helper()
	checkType(t, md, f.Type())
	if want := md.Stability("extension"); f.Stability() != want {
		t.Errorf("stability: factory %v, metadata.yaml %v", f.Stability(), want)
	}
}

func checkType(t *testing.T, md metadata.Metadata, got component.Type) {
	t.Helper()
	if got.String() != md.Type {
		t.Errorf("type: factory %q, metadata.yaml %q", got, md.Type)
	}
}

// distributions says where each distribution of metadata.yaml is.
var distributions = map[string]string{"failhop": "failhop (`bin/failhop-collector`)"}

// StatusTable is the status table every component's README starts with.
func StatusTable(md metadata.Metadata) (string, error) {
	var dists []string
	for _, d := range md.Status.Distributions {
		text, ok := distributions[d]
		if !ok {
			return "", fmt.Errorf("distribution %q: not one of %v", d, distributions)
		}
		dists = append(dists, text)
	}
	return strings.Join([]string{
		"| Status | |",
		"|---|---|",
		"| Class | " + md.Status.Class + " |",
		"| Stability | " + stability(md) + " |",
		"| Distributions | " + strings.Join(dists, ", ") + " |",
	}, "\n") + "\n", nil
}

// stability is the Stability cell: "beta: traces" for a processor, the
// level alone for an extension; the most stable level first.
func stability(md metadata.Metadata) string {
	levels := make([]string, 0, len(md.Status.Stability))
	for level := range md.Status.Stability {
		levels = append(levels, level)
	}
	slices.SortFunc(levels, func(a, b string) int { return cmp.Compare(metadata.Level(b), metadata.Level(a)) })
	for i, level := range levels {
		if md.Status.Class != "extension" {
			levels[i] = level + ": " + strings.Join(md.Status.Stability[level], ", ")
		}
	}
	return strings.Join(levels, "; ")
}

// CheckREADME checks that README.md has the status table and names every
// self-metric.
func CheckREADME(t *testing.T, md metadata.Metadata) {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	table, err := StatusTable(md)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), table) {
		t.Errorf("README.md lacks the status table of metadata.yaml:\n%s", table)
	}
	for key := range md.Telemetry.Metrics {
		if name := metadata.MetricName(key); !strings.Contains(string(b), "`"+name+"`") {
			t.Errorf("README.md does not name the metric %s", name)
		}
	}
}
