package analyzer_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/failhop/failhop/analyzer"
	"github.com/failhop/failhop/internal/devstack/tracetest"
	"github.com/failhop/failhop/tracejson"
)

// fixtureDir holds the fixture files, shared with the CLI's tests.
const fixtureDir = "../testdata/traces"

// TestFixtureFiles reads every fixture file back with tracejson, as the CLI
// does, and checks the analysis against NAME.want.json. With -update it
// first writes the files from the specs.
func TestFixtureFiles(t *testing.T) {
	if *update {
		for _, f := range fixtures {
			data, err := tracetest.JaegerJSON(f.build())
			if err != nil {
				t.Fatal(err)
			}
			w := f.want
			w.About = f.about
			want, _ := json.MarshalIndent(w, "", "  ")
			if err := os.WriteFile(filepath.Join(fixtureDir, f.name+".json"), append(data, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(fixtureDir, f.name+".want.json"), append(want, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	files := fixtureFiles(t)
	if len(files) < 50 {
		t.Errorf("%d fixture files; the corpus must hold at least 50", len(files))
	}
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			check(t, analyzer.Analyze(f.trace), f.want)
		})
	}
}

// fixtureFile is a fixture as read back from testdata/traces.
type fixtureFile struct {
	name  string
	trace *analyzer.Trace
	want  Want
}

// fixtureFiles reads every fixture file with tracejson, as the CLI does.
func fixtureFiles(t *testing.T) []fixtureFile {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(fixtureDir, "*.want.json"))
	if len(files) < len(fixtures) {
		t.Fatalf("%d fixture files for %d specs: run go test ./analyzer -update", len(files), len(fixtures))
	}
	var out []fixtureFile
	for _, wantFile := range files {
		f := fixtureFile{name: filepath.Base(wantFile[:len(wantFile)-len(".want.json")])}
		data, err := os.ReadFile(wantFile)
		if err == nil {
			err = json.Unmarshal(data, &f.want)
		}
		if err != nil {
			t.Fatalf("%s: %v", wantFile, err)
		}
		data, err = os.ReadFile(filepath.Join(fixtureDir, f.name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		traces, err := tracejson.Decode(data)
		if err != nil || len(traces) != 1 {
			t.Fatalf("%s: decode: %d traces, %v", f.name, len(traces), err)
		}
		f.trace = traces[0]
		out = append(out, f)
	}
	return out
}
