package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/failhop/failhop/analyzer"
)

const fixtureDir = "../../testdata/traces"

// want is a fixture's expected answer (NAME.want.json, written by the
// analyzer's tests).
type want struct {
	Failed bool `json:"failed"`
	Hops   []struct {
		Description string `json:"description"`
		Cause       string `json:"cause"`
		SpanID      string `json:"span_id"`
		Attempts    int    `json:"attempts"`
	} `json:"hops"`
	NonFatal int `json:"non_fatal"`
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(t.Context(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestWhyFixtures runs `failhop why --json --file` on every trace fixture
// and checks the answer the machine reads.
func TestWhyFixtures(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(fixtureDir, "*.want.json"))
	if len(files) < 50 {
		t.Fatalf("found %d fixtures in %s, want at least 50", len(files), fixtureDir)
	}
	for _, wf := range files {
		name := strings.TrimSuffix(filepath.Base(wf), ".want.json")
		t.Run(name, func(t *testing.T) {
			var w want
			data, err := os.ReadFile(wf)
			if err == nil {
				err = json.Unmarshal(data, &w)
			}
			if err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := runCLI(t, "why", "--json", "--file", filepath.Join(fixtureDir, name+".json"))
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var r analyzer.Report
			if err := json.Unmarshal([]byte(stdout), &r); err != nil {
				t.Fatalf("--json output is not a report: %v\n%s", err, stdout)
			}
			if r.Failed != w.Failed || len(r.Hops) != len(w.Hops) || len(r.NonFatal) != w.NonFatal {
				t.Fatalf("failed=%v hops=%d non-fatal=%d, want %+v", r.Failed, len(r.Hops), len(r.NonFatal), w)
			}
			for i, h := range w.Hops {
				if r.Hops[i].Description != h.Description || string(r.Hops[i].Cause) != h.Cause {
					t.Errorf("hop %d = %q / %s, want %q / %s", i+1, r.Hops[i].Description, r.Hops[i].Cause, h.Description, h.Cause)
				}
				if (h.SpanID != "" && r.Hops[i].SpanID != h.SpanID) || r.Hops[i].Attempts != h.Attempts {
					t.Errorf("hop %d is span %s after %d attempts, want span %s after %d", i+1, r.Hops[i].SpanID, r.Hops[i].Attempts, h.SpanID, h.Attempts)
				}
			}
			// Machines read lists: empty ones are [], never null.
			for _, list := range []string{`"hops":`, `"non_fatal":`, `"units":`, `"notes":`, `"path":`} {
				if strings.Contains(stdout, list+"null") {
					t.Errorf("%s null in the JSON, want []:\n%s", list, stdout)
				}
			}
		})
	}
}

func TestWhyText(t *testing.T) {
	code, stdout, _ := runCLI(t, "why", "--file", filepath.Join(fixtureDir, "bad-deploy.json"), "--jaeger", "http://jaeger.example:16686/")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{
		"FAILED",
		"failing hop 1 of 1: inventory → sqlite SELECT stock",
		"db_error (confidence high)",
		"inventory 2.0.0",
		"◀ origin",
		"hint",
		"http://jaeger.example:16686/trace/",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "\x1b[") {
		t.Error("colour codes written to a non-terminal")
	}
}

// TestWhyTextUnits: a request that published a message succeeded, and
// the message's processing failed: the request's verdict comes first,
// then the failed unit of work with its hop.
func TestWhyTextUnits(t *testing.T) {
	code, stdout, _ := runCLI(t, "why", "--file", filepath.Join(fixtureDir, "amqp-consumer-fails.json"))
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	request := strings.Index(stdout, "request queuefront POST /orders → 202  succeeded")
	unit := strings.Index(stdout, "unit of work fulfil orders process  FAILED")
	hop := strings.Index(stdout, "failing hop 1 of 1: queuefront → fulfil orders process")
	if request < 0 || unit < request || hop < unit {
		t.Errorf("output lacks the request's verdict, then the failed unit of work and its hop:\n%s", stdout)
	}
	if !strings.Contains(stdout, "item 13 is out of stock in every warehouse") {
		t.Errorf("output lacks the unit's error message:\n%s", stdout)
	}
}

func TestExitStatus(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty.json")
	if err := os.WriteFile(empty, []byte(`{"data": "nope"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
		wantStdout string
	}{
		{"no command", nil, exitUsage, "Usage:", ""},
		{"help", []string{"--help"}, exitOK, "", "Usage:"},
		{"why help", []string{"why", "--help"}, exitOK, "", "--file"},
		{"errors help", []string{"errors", "-h"}, exitOK, "", "--service"},
		{"unknown command", []string{"what"}, exitUsage, `unknown command "what"`, ""},
		{"unknown flag", []string{"why", "--bogus"}, exitUsage, "flag provided but not defined: -bogus", ""},
		{"missing trace ID", []string{"why"}, exitUsage, "missing trace ID", ""},
		{"bad trace ID", []string{"why", "not-hex"}, exitUsage, "not a trace reference", ""},
		{"ID and file", []string{"why", "abc", "--file", "x.json"}, exitUsage, "not both", ""},
		{"errors without service", []string{"errors"}, exitUsage, "--service is required", ""},
		{"missing file", []string{"why", "--file", "/does/not/exist.json"}, exitFailed, "no such file", ""},
		{"not a trace file", []string{"why", "--file", empty}, exitFailed, empty, ""},
		{"Jaeger unreachable", []string{"why", "--jaeger", "http://127.0.0.1:1", "4bf92f3577b34da6a3ce929d0e0e4736"}, exitFailed, "Jaeger not reachable", ""},
		{"Jaeger unreachable for errors", []string{"errors", "--service", "orders", "--jaeger", "http://127.0.0.1:1"}, exitFailed, "Jaeger not reachable", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.wantCode, stderr)
			}
			if !strings.Contains(stderr, tt.wantStderr) || !strings.Contains(stdout, tt.wantStdout) {
				t.Errorf("stdout %q, stderr %q; want %q and %q", stdout, stderr, tt.wantStdout, tt.wantStderr)
			}
			if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, ".go:") {
				t.Errorf("stack trace shown for a user mistake: %s", stderr)
			}
		})
	}
}
