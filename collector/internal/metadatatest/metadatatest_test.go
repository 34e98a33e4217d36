package metadatatest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestEveryComponent: every package of collector/ with a factory has a
// metadata.yaml and a metadata_test.go that checks it and the lifecycle,
// and the Makefile's test target runs it.
func TestEveryComponent(t *testing.T) {
	factories, err := filepath.Glob(filepath.Join("..", "..", "*", "factory.go"))
	if err != nil || len(factories) == 0 {
		t.Fatalf("no factories in collector/: %v", err)
	}
	makefile, err := os.ReadFile(filepath.Join("..", "..", "..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	testLine := regexp.MustCompile(`(?m)^\tcd collector && \$\(GO\) test -count=1 (\./.*)$`).FindSubmatch(makefile)
	if testLine == nil {
		t.Fatal("the Makefile has no collector unit test line")
	}
	for _, f := range factories {
		dir := filepath.Dir(f)
		name := filepath.Base(dir)
		if _, err := os.Stat(filepath.Join(dir, "metadata.yaml")); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		test, err := os.ReadFile(filepath.Join(dir, "metadata_test.go"))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		for _, call := range []string{"metadatatest.Load(", "metadatatest.CheckREADME(", "metadatatest.CheckLifecycle("} {
			if !strings.Contains(string(test), call) {
				t.Errorf("%s/metadata_test.go does not call %s)", name, call)
			}
		}
		if !strings.Contains(string(testLine[1])+" ", "./"+name+" ") {
			t.Errorf("the Makefile's collector test line does not run ./%s", name)
		}
	}
}
