// The tests of this file hold the repository to the layering that
// docs/design.md draws ("The layers"): each package imports only packages
// of its own layer or of the layers below it, and the development stack
// only where it is used.
package failhop_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/failhop/failhop"

// layer is a rung of the layering, from the bottom up; harness stands
// beside it.
type layer int

const (
	vocabulary   layer = iota // vocab
	analysis                  // analyzer
	reader                    // what reads traces and metrics (otlpconv, tracejson, jaeger, promapi, recent) and what services link (instrument, exporters, tracelog)
	presentation              // internal/present/...
	command                   // cmd/..., the collector's components, the demo
	harness                   // internal/devstack/...
)

func (l layer) String() string {
	return [...]string{"vocabulary", "the analyzer", "a reader", "presentation", "a command", "the development stack"}[l]
}

// layerOf places a package of failhop's modules.
func layerOf(pkg string) layer {
	rel := strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/")
	under := func(dir string) bool { return rel == dir || strings.HasPrefix(rel, dir+"/") }
	switch {
	case rel == "vocab":
		return vocabulary
	case rel == "analyzer":
		return analysis
	case under("internal/devstack"):
		return harness
	case under("internal/present"):
		return presentation
	case under("cmd"), under("collector"), under("examples"), under("integration"):
		return command
	}
	return reader
}

// allowed says whether a package of layer from may import one of layer to:
// a layer builds on the ones below it; the analyzer on the vocabulary
// alone; only the development stack uses the development stack.
func allowed(from, to layer) bool {
	switch {
	case to == harness:
		return from == harness
	case from == analysis:
		return to == vocabulary
	}
	return to <= from
}

// violations lists the imports of pkgs (import path → its dependencies,
// as go list's Deps: direct and indirect, tests not counted) that break
// the layering.
func violations(pkgs map[string][]string) []string {
	var out []string
	for pkg, deps := range pkgs {
		for _, d := range deps {
			if d == pkg || (d != module && !strings.HasPrefix(d, module+"/")) {
				continue
			}
			if from, to := layerOf(pkg), layerOf(d); !allowed(from, to) {
				out = append(out, fmt.Sprintf("%s (%s) imports %s (%s)", pkg, from, d, to))
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestLayering runs go list on the root module and the instrument
// adapters' modules and fails on each import that breaks the layering.
func TestLayering(t *testing.T) {
	modules, err := filepath.Glob("instrument/instrument*/go.mod")
	if err != nil {
		t.Fatal(err)
	}
	dirs := []string{"."}
	for _, m := range modules {
		dirs = append(dirs, filepath.Dir(m))
	}
	for _, dir := range dirs {
		pkgs, err := listDeps(dir)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		if len(pkgs) == 0 {
			t.Fatalf("%s: go list found no package", dir)
		}
		for _, v := range violations(pkgs) {
			t.Errorf("%s: see docs/design.md, The layers", v)
		}
	}
}

// listDeps returns the packages of the module in dir with their
// dependencies, test files left out.
func listDeps(dir string) (map[string][]string, error) {
	cmd := exec.Command("go", "list", "-json=ImportPath,Deps", "./...")
	cmd.Dir = dir
	out, err := cmd.Output()
	if ee, ok := errors.AsType[*exec.ExitError](err); ok {
		return nil, fmt.Errorf("go list: %v: %s", err, ee.Stderr)
	} else if err != nil {
		return nil, fmt.Errorf("go list: %v", err)
	}
	pkgs := map[string][]string{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p struct {
			ImportPath string
			Deps       []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			return pkgs, nil
		} else if err != nil {
			return nil, fmt.Errorf("go list's output: %v", err)
		}
		pkgs[p.ImportPath] = p.Deps
	}
}

// TestViolations checks the rule itself on imports that break it, and on
// some that do not.
func TestViolations(t *testing.T) {
	pkgs := map[string][]string{
		module + "/analyzer":                    {module + "/vocab", "time"},
		module + "/jaeger":                      {module + "/analyzer", module + "/internal/present/render"},
		module + "/analyzer/otlpconv":           {module + "/analyzer", module + "/internal/devstack/syncbuf"},
		module + "/internal/present/webui":      {module + "/jaeger", module + "/internal/present/render"},
		module + "/cmd/failhop":                 {module + "/internal/present/webui", module + "/internal/recent"},
		module + "/internal/devstack/cmd/stack": {module + "/internal/devstack/stack", module + "/internal/present/webui"},
		module + "/vocab":                       {module + "/analyzer"},
	}
	got := strings.Join(violations(pkgs), "\n")
	for _, want := range []string{
		module + "/jaeger (a reader) imports " + module + "/internal/present/render (presentation)",
		module + "/analyzer/otlpconv (a reader) imports " + module + "/internal/devstack/syncbuf (the development stack)",
		module + "/vocab (vocabulary) imports " + module + "/analyzer (the analyzer)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("violations do not list %q; they are:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "\n") + 1; n != 3 {
		t.Errorf("%d violations, want 3:\n%s", n, got)
	}
	if !allowed(analysis, vocabulary) || allowed(analysis, reader) {
		t.Error("the analyzer may import vocab and nothing else of failhop")
	}
}
