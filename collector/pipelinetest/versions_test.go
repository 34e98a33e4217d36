package pipelinetest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestVersions keeps collector/go.mod at the collector release of
// builder-config.yaml (core v0.160.0 / v1.66.0): `go get` or `go mod tidy`
// of a new import takes the newest version of a collector module, which
// the builder's generated go.mod then inherits (the builder does not check).
func TestVersions(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root(t), "collector", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^\s*(go\.opentelemetry\.io/collector\S*|github\.com/open-telemetry/opentelemetry-collector-contrib/\S+) (v\S+)`)
	allowed := map[string]bool{"v0.160.0": true, "v1.66.0": true}
	n := 0
	for _, m := range re.FindAllStringSubmatch(string(data), -1) {
		n++
		mod, ver := m[1], m[2]
		if strings.HasPrefix(mod, "go.opentelemetry.io/collector/semconv") {
			continue
		}
		if !allowed[ver] {
			t.Errorf("collector/go.mod: %s %s: want v0.160.0 or v1.66.0, the release of builder-config.yaml (go get %s@v0.160.0 or @v1.66.0)", mod, ver, mod)
		}
	}
	if n == 0 {
		t.Fatal("no collector module in collector/go.mod")
	}
}
