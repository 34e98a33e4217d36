package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unicode"

	"github.com/failhop/failhop/analyzer"
	"github.com/failhop/failhop/internal/devstack/tracetest"
)

// writeTrace writes a trace as Jaeger JSON into a temporary file.
func writeTrace(t *testing.T, tr *analyzer.Trace) string {
	t.Helper()
	data, err := tracetest.JaegerJSON(tr)
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(t.TempDir(), "trace.json")
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// TestWhyEscapes: text from spans reaches the terminal escaped, so a
// hostile span can neither send escape sequences nor reorder the text;
// --json keeps it exact.
func TestWhyEscapes(t *testing.T) {
	const hostile = "evil\x1b]0;pwned\x07\x1b[2J\rover\bwrite\u202egnp.exe\xff"
	tr := tracetest.Chain(4)
	for _, s := range tr.Spans {
		s.Service, s.Name = "svc-"+hostile, "op-"+hostile
	}
	last := tr.Spans[len(tr.Spans)-1]
	last.StatusMessage = "msg-" + hostile
	last.Events = []analyzer.Event{{Name: "exception", Time: tracetest.Epoch, Attributes: map[string]any{
		"exception.message": "msg-" + hostile, "exception.stacktrace": "goroutine 1 [running]:\nmain.f-" + hostile + "()\n\t/app/main.go:1",
	}}}
	file := writeTrace(t, tr)

	code, stdout, stderr := runCLI(t, "why", "--file", file)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, r := range stdout {
		if r != '\n' && r != '\t' && (unicode.IsControl(r) || unicode.In(r, unicode.Cf)) {
			t.Fatalf("text output holds %U:\n%q", r, stdout)
		}
	}
	for _, want := range []string{`svc-evil\x1b]0;pwned\a\x1b[2J\rover\bwrite\u202egnp.exe`, `msg-evil\x1b]0;`, `main.f-evil\x1b]0;`} {
		if !strings.Contains(stdout, want) {
			t.Errorf("text output lacks %q:\n%s", want, stdout)
		}
	}

	code, stdout, _ = runCLI(t, "why", "--json", "--file", file)
	var r analyzer.Report
	if err := json.Unmarshal([]byte(stdout), &r); code != exitOK || err != nil {
		t.Fatalf("exit %d, %v", code, err)
	}
	// JSON carries the string as the file had it (the invalid byte was
	// already U+FFFD there: JSON is UTF-8).
	if want := "msg-" + strings.ToValidUTF8(hostile, "\uFFFD"); len(r.Hops) != 1 || r.Hops[0].Message != want {
		t.Errorf("--json message %q, want %q", r.Hops[0].Message, want)
	}
}

// TestWhyHugeTraces: deep and wide traces give bounded output in bounded
// memory, with the exit status of an analyzed trace.
func TestWhyHugeTraces(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and reads trace files of 100,000 spans")
	}
	t.Run("20k chain, text", func(t *testing.T) {
		code, stdout, stderr := runCLI(t, "why", "--file", writeTrace(t, tracetest.Chain(20_000)))
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		t.Logf("a 20,000-span chain: %d bytes of text out", len(stdout))
		if !strings.Contains(stdout, "… 19,991 more hops …") || len(stdout) > 8<<10 {
			t.Errorf("%d bytes of output, want a folded path under 8 KB:\n%s", len(stdout), stdout)
		}
	})
	for _, tc := range []struct {
		name  string
		trace *analyzer.Trace
	}{{"100k chain", tracetest.Chain(100_000)}, {"100k fan-out", tracetest.FanOut(100_000)}} {
		t.Run(tc.name+", json", func(t *testing.T) {
			file := writeTrace(t, tc.trace)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			code, stdout, stderr := runCLI(t, "why", "--json", "--file", file)
			runtime.ReadMemStats(&after)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var r analyzer.Report
			if err := json.Unmarshal([]byte(stdout), &r); err != nil || !r.Failed || len(r.Hops) == 0 {
				t.Fatalf("report %.200s: %v", stdout, err)
			}
			st, _ := os.Stat(file)
			n := after.TotalAlloc - before.TotalAlloc
			t.Logf("%s: a %d MB file, %d MB allocated, %d bytes of JSON out", tc.name, st.Size()>>20, n>>20, len(stdout))
			if n > 20*uint64(st.Size()) {
				t.Errorf("reading and analyzing %d MB allocated %d MB", st.Size()>>20, n>>20)
			}
			if len(stdout) > 1<<20 {
				t.Errorf("%d bytes of JSON, want at most 1 MB", len(stdout))
			}
		})
	}
}

// TestWhyNoRoot: a trace whose spans' parents form a cycle cannot be
// analyzed, which the exit status says.
func TestWhyNoRoot(t *testing.T) {
	tr := tracetest.Chain(3)
	tr.Spans[0].ParentSpanID = tr.Spans[2].SpanID
	code, stdout, stderr := runCLI(t, "why", "--file", writeTrace(t, tr))
	if code != exitFailed || !strings.Contains(stdout, "could not analyze: no span to start from") || !strings.Contains(stderr, "could not analyze 1 of 1 traces") {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1 and the reason", code, stdout, stderr)
	}
}
