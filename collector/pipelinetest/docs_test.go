package pipelinetest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/failhop/failhop/internal/devstack/syncbuf"
)

// The documented path is the tested path: every command block of README.md
// and docs/*.md is listed in docBlocks below, with the test that runs it as
// written (from the repository root unless the docs say where, with no
// JAEGER_*, COLLECTOR_*, FAILHOP_* or OTEL_* variable set, bin/ on PATH
// as after `make`), or the reason it is not run here. A block that the
// list does not know fails TestDocBlocksListed: a new command in the docs
// needs a test.

// docBlock is a fenced sh or console block of a Markdown file.
type docBlock struct {
	file, lang string
	line       int      // of the opening fence
	text       string   // the block as written
	commands   []string // sh: each command line (continuations joined); console: each "$ " line
	outputs    []string // console: the lines shown after each command
}

func (b docBlock) String() string { return fmt.Sprintf("%s:%d", b.file, b.line) }

// readDocBlocks returns the sh, bash and console blocks of README.md and
// docs/*.md.
func readDocBlocks(t *testing.T) []docBlock {
	t.Helper()
	return readBlocks(t, "sh", "bash", "console")
}

// readBlocks returns the blocks of README.md and docs/*.md in the
// languages given.
func readBlocks(t *testing.T, langs ...string) []docBlock {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root(t), "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files = append([]string{filepath.Join(root(t), "README.md")}, files...)
	var blocks []docBlock
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root(t), f)
		var cur *docBlock
		var body []string
		for i, line := range strings.Split(string(data), "\n") {
			fence := strings.HasPrefix(line, "```")
			switch {
			case fence && cur == nil:
				cur = &docBlock{file: rel, line: i + 1, lang: strings.TrimSpace(line[3:])}
				body = nil
			case fence:
				if slices.Contains(langs, cur.lang) {
					cur.text = strings.Join(body, "\n") + "\n"
					cur.commands, cur.outputs = splitCommands(cur.lang, body)
					blocks = append(blocks, *cur)
				}
				cur = nil
			default:
				body = append(body, line)
			}
		}
	}
	return blocks
}

func splitCommands(lang string, lines []string) (commands, outputs []string) {
	if lang == "console" {
		for _, l := range lines {
			if c, ok := strings.CutPrefix(l, "$ "); ok {
				commands = append(commands, c)
				outputs = append(outputs, "")
			} else if len(outputs) > 0 {
				outputs[len(outputs)-1] += l + "\n"
			}
		}
		return commands, outputs
	}
	var cmd string
	for _, l := range lines {
		if t := strings.TrimSpace(l); cmd == "" && (t == "" || strings.HasPrefix(t, "#")) {
			continue
		}
		if c, ok := strings.CutSuffix(l, `\`); ok {
			cmd += c
			continue
		}
		commands = append(commands, strings.TrimSpace(cmd+l))
		cmd = ""
	}
	return commands, nil
}

// docRun is how one documented block is tested: by the test named, or not
// here for the reason given.
type docRun struct {
	file, first string // the block: its file and the start of its first command
	test        string // the (sub)test of TestDocs that runs it
	notHere     string // why no test runs it here
}

var docRuns = []docRun{
	{file: "README.md", first: "make demo   #", notHere: "the two set-up commands: CI runs make test; make demo's transcript below is run"},
	{file: "README.md", first: "make demo", notHere: "the demo's transcript; examples/cmd/demo's tests run the same program (DEMO_ONCE) and check its table"},
	{file: "README.md", first: "go mod edit -replace github.com/failhop/failhop=../failhop", test: "TestQuickStart"},
	{file: "README.md", first: "go install ./cmd/failhop", test: "TestInstallCLI"},
	{file: "README.md", first: "make stack", test: "TestDocs/make_stack"},
	{file: "README.md", first: "failhop why --file testdata/traces/db-error.json", test: "TestDocs/why_file"},
	{file: "docs/pipeline.md", first: "make bin/failhop-collector bin/jaeger", test: "TestDocs/single_node"},
	{file: "docs/pipeline.md", first: "(cd collector && go tool telemetrygen", test: "TestDocs/single_node and TestDocs/scale-out"},
	{file: "docs/pipeline.md", first: "bin/failhop errors --service checkout", test: "TestDocs/single_node and TestDocs/scale-out"},
	{file: "docs/pipeline.md", first: "make stack ", test: "TestDocs/single_node"},
	{file: "docs/pipeline.md", first: "DEMO_ONCE=1 make demo", test: "TestDocs/demo_port_taken"},
	{file: "docs/pipeline.md", first: "bin/jaeger --config collector-config/jaeger.yaml &", test: "TestDocs/scale-out"},
	{file: "docs/cli.md", first: "make bin/failhop", test: "TestDocs (every test here builds it first, as written)"},
	{file: "docs/performance.md", first: "make bench", notHere: "benchmarks: about 30 minutes of measurement, run by hand; make test runs no timing"},
	{file: "docs/performance.md", first: "go test -run '^$' -bench 'Analyze10k|AnalyzeHostile'", notHere: "a benchmark, run by hand"},
	{file: "docs/performance.md", first: "scripts/instructions.sh ./instrument Handler", notHere: "instruction counts under valgrind (minutes of measurement), run by hand"},
	{file: "docs/reliability.md", first: "make stress", test: "TestDocs/stress"},
	{file: "docs/performance.md", first: "make bin/failhop-collector", notHere: "the pipeline's throughput measurement (minutes), run by hand; its test runs in make test without FAILHOP_LOADTEST"},
	{file: "docs/performance.md", first: "make bin/jaeger bin/failhop-collector", notHere: "the shop's load run (minutes of measurement), run by hand"},
	{file: "docs/performance.md", first: "go test ./exporters -run '^$' -bench SpanExport", notHere: "a benchmark, run by hand"},
	{file: "docs/performance.md", first: "cd collector && go test -run '^$' -bench Evaluate", notHere: "a benchmark, run by hand"},
	{file: "docs/performance.md", first: "go test ./exporters -run '^$' -bench 'SpanEnd|", notHere: "benchmarks and instruction counts under valgrind (minutes of measurement), run by hand"},
	{file: "docs/performance.md", first: "cd examples && go run ./cmd/demo --once --free-ports --defaults --rounds 3 all", notHere: "the time-to-answer runs (about 40 minutes), by hand; make test runs no timing, and examples/cmd/demo's TestScenarios and TestScenariosDefaults play the same scenarios on the demo's settings and on the defaults, checking the answers and the marks"},
}

func (r docRun) matches(b docBlock) bool {
	return r.file == b.file && len(b.commands) > 0 && strings.HasPrefix(b.commands[0], r.first)
}

// TestDocBlocksListed fails on a command block that docRuns does not
// list, and on a docRuns entry whose block is gone.
func TestDocBlocksListed(t *testing.T) {
	blocks := readDocBlocks(t)
	used := make([]bool, len(docRuns))
	for _, b := range blocks {
		found := false
		for i, r := range docRuns {
			if r.matches(b) {
				found, used[i] = true, true
				break
			}
		}
		if !found {
			t.Errorf("%s: a command block that no test runs (%q): run it in TestDocs and list it in docRuns", b, b.commands)
		}
	}
	for i, r := range docRuns {
		if !used[i] {
			t.Errorf("docRuns lists a block of %s starting %q that the docs no longer have", r.file, r.first)
		}
	}
}

// block returns the documented block that starts with first.
func block(t *testing.T, blocks []docBlock, file, first string) docBlock {
	t.Helper()
	for _, b := range blocks {
		if (docRun{file: file, first: first}).matches(b) {
			return b
		}
	}
	t.Fatalf("%s has no command block starting %q", file, first)
	return docBlock{}
}

// TestDocs runs the documented commands as written. It uses the
// documented ports (the configs' defaults), so it refuses to start when
// one of them is taken.
func TestDocs(t *testing.T) {
	blocks := readDocBlocks(t)
	for _, port := range []int{4317, 4318, 13133, 14317, 14318, 14269, 16680, 16685, 16686, 8080, 8081, 8082, 8083, 8084, 23133, 24317, 33133, 34317} {
		if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err != nil {
			t.Fatalf("port %d is taken: the documented commands need the documented ports (%v)", port, err)
		} else {
			l.Close()
		}
	}
	runDoc(t, "make bin/failhop", time.Minute)

	tryIt := func(t *testing.T) {
		b := block(t, blocks, "docs/pipeline.md", "(cd collector && go tool telemetrygen")
		out := runDoc(t, b.text, 5*time.Minute)
		if !strings.Contains(out, `"failhop.root_cause"`) {
			t.Errorf("the curl of the try-it block found no span marked failhop.root_cause:\n%s", out)
		}
		checkTranscript(t, block(t, blocks, "docs/pipeline.md", "bin/failhop errors --service checkout"))
	}

	t.Run("single node", func(t *testing.T) {
		p := startDoc(t, block(t, blocks, "docs/pipeline.md", "make bin/failhop-collector bin/jaeger").text)
		tryIt(t)
		// make stack while this pipeline runs refuses, as the docs show.
		checkTranscript(t, block(t, blocks, "docs/pipeline.md", "make stack "))
		p.stop(t)
	})
	t.Run("scale-out", func(t *testing.T) {
		p := startDoc(t, block(t, blocks, "docs/pipeline.md", "bin/jaeger --config collector-config/jaeger.yaml &").text)
		tryIt(t)
		p.stop(t)
	})
	t.Run("make stack", func(t *testing.T) {
		p := startDoc(t, block(t, blocks, "README.md", "make stack").text)
		waitHTTP(t, p, "http://127.0.0.1:16686/api/services", "http://127.0.0.1:13133/", "http://127.0.0.1:16680/")
		// Ctrl-C, as a terminal sends it: SIGINT to the whole job.
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGINT)
		<-p.done
		out := p.out.String()
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "make: ***") {
				t.Errorf("after Ctrl-C, make reports an error: %q\n%s", line, out)
			}
		}
		if !strings.Contains(out, "stack: stopping Jaeger...\n") {
			t.Errorf("no sign that the stack stopped Jaeger:\n%s", out)
		}
		p.stop(t) // fails t if any of make's process group is still running
		// Jaeger and the collector, in process groups of their own, are gone too.
		for _, port := range []int{4317, 4318, 13133, 14317, 14318, 14269, 16680, 16685, 16686} {
			if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err != nil {
				t.Errorf("port %d still taken after Ctrl-C: %v", port, err)
			} else {
				l.Close()
			}
		}
	})
	t.Run("why file", func(t *testing.T) {
		checkTranscript(t, block(t, blocks, "README.md", "failhop why --file testdata/traces/db-error.json"))
	})
	t.Run("stress", func(t *testing.T) {
		out := runDoc(t, block(t, blocks, "docs/reliability.md", "make stress").text, 10*time.Minute)
		for _, figure := range []string{"a 50,000-span chain:", "collector peak RSS:", "over OTLP/gRPC: rpc error", "bytes of text out"} {
			if !strings.Contains(out, figure) {
				t.Errorf("make stress printed no %q figure:\n%s", figure, out)
			}
		}
	})
	t.Run("demo port taken", func(t *testing.T) {
		// As the docs say: while python3 -m http.server 8080 runs.
		httpServer := startDoc(t, "exec python3 -m http.server --bind 127.0.0.1 8080\n")
		waitHTTP(t, httpServer, "http://127.0.0.1:8080/")
		checkTranscript(t, block(t, blocks, "docs/pipeline.md", "DEMO_ONCE=1 make demo"))
		httpServer.stop(t)
	})
}

// docEnv is the environment of a documented command: ours without the
// settings a user would not have (make test's make among them), and bin/
// on PATH.
func docEnv(t *testing.T) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "JAEGER_"), strings.HasPrefix(name, "COLLECTOR_"),
			strings.HasPrefix(name, "FAILHOP_"), strings.HasPrefix(name, "OTEL_"), strings.HasPrefix(name, "DEMO_"),
			// make test's own make: a user's make is not a sub-make.
			name == "MAKELEVEL", name == "MAKEFLAGS", name == "MFLAGS", name == "MAKEOVERRIDES":
		case name == "PATH":
			env = append(env, "PATH="+filepath.Join(root(t), "bin")+string(os.PathListSeparator)+kv[len("PATH="):])
		default:
			env = append(env, kv)
		}
	}
	return env
}

// runDoc runs script with bash from the repository root, fails t if it
// fails, and returns its output.
func runDoc(t *testing.T, script string, timeout time.Duration) string {
	t.Helper()
	return runDocIn(t, root(t), script, timeout, docEnv(t))
}

// runDocIn runs script with bash in dir with env, fails t if it fails, and
// returns its output.
func runDocIn(t *testing.T, dir, script string, timeout time.Duration, env []string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-e", "-c", script)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s\nfailed (%v):\n%s", script, err, out)
	}
	return string(out)
}

// docProcess is a documented command left running: a pipeline, a demo.
type docProcess struct {
	cmd  *exec.Cmd
	out  *syncbuf.Buffer
	done chan struct{}
}

// startDoc starts script with bash from the repository root, in a process
// group of its own, and stops the group when t ends.
func startDoc(t *testing.T, script string) *docProcess {
	t.Helper()
	p := &docProcess{out: new(syncbuf.Buffer), done: make(chan struct{})}
	p.cmd = exec.Command("bash", "-e", "-c", script)
	p.cmd.Dir, p.cmd.Env = root(t), docEnv(t)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			t.Logf("output of\n%s\n%s", script, p.out.String())
		}
	})
	if strings.Contains(script, "bin/failhop-collector") {
		waitHTTP(t, p, "http://127.0.0.1:16686/api/services", "http://127.0.0.1:13133/")
	}
	return p
}

// waitHTTP waits until every URL answers 200, failing t if p exits first.
func waitHTTP(t *testing.T, p *docProcess, urls ...string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute) // the block may build first
	for _, u := range urls {
		for {
			resp, err := http.Get(u)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			select {
			case <-p.done:
				t.Fatalf("exited before %s answered:\n%s", u, p.out.String())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s did not answer: %v\n%s", u, err, p.out.String())
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}

// stop stops the whole process group (the block's background jobs too)
// and waits until none of it is left.
func (p *docProcess) stop(t *testing.T) {
	pgid := p.cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	deadline := time.Now().Add(20 * time.Second)
	for syscall.Kill(-pgid, 0) == nil {
		if time.Now().After(deadline) {
			t.Errorf("processes of %q still running 20s after SIGTERM: killed", p.cmd.Args)
			syscall.Kill(-pgid, syscall.SIGKILL)
			deadline = time.Now().Add(time.Hour)
		}
		time.Sleep(100 * time.Millisecond)
	}
	<-p.done
}

// checkTranscript runs each command of a console block as written and
// checks its output against the block's (see matchTranscript).
func checkTranscript(t *testing.T, b docBlock) {
	t.Helper()
	for i, c := range b.commands {
		cmd := exec.Command("bash", "-c", c)
		cmd.Dir, cmd.Env = root(t), docEnv(t)
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatalf("%s: %s: %v", b, c, err)
		}
		matchTranscript(t, b, string(out), b.outputs[i])
	}
}

// Masks for what changes from run to run: IDs, times, process IDs,
// durations, the checkout's directory.
var transcriptMasks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\b[0-9a-f]{16,32}\b`), "<id>"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`), "<time>"},
	{regexp.MustCompile(`\b\d\d:\d\d:\d\d\b`), "<time>"},
	{regexp.MustCompile(`\bpid \d+`), "pid <n>"},
	{regexp.MustCompile(`\b\d+(\.\d+)?(ms|s)\b`), "<duration>"},
	{regexp.MustCompile(`\bin <duration>`), "in <duration>"},
	{regexp.MustCompile(`\[Makefile:\d+: `), "[Makefile:<line>: "},
}

func mask(t *testing.T, s string) string {
	s = strings.ReplaceAll(s, root(t), "/work/main")
	for _, m := range transcriptMasks {
		s = m.re.ReplaceAllString(s, m.with)
	}
	return strings.TrimRight(s, " \t")
}

// matchTranscript checks that out reads as the documented output: line by
// line after masking, where a line "..." or "…" alone stands for any
// number of lines.
func matchTranscript(t *testing.T, b docBlock, out, want string) {
	t.Helper()
	got := lines(t, out)
	exp := lines(t, want)
	// match[i][j]: exp[i:] matches got[j:].
	match := make([][]bool, len(exp)+1)
	for i := range match {
		match[i] = make([]bool, len(got)+1)
	}
	match[len(exp)][len(got)] = true
	for i := len(exp) - 1; i >= 0; i-- {
		for j := len(got); j >= 0; j-- {
			if e := strings.TrimSpace(exp[i]); e == "..." || e == "…" {
				match[i][j] = match[i+1][j] || (j < len(got) && match[i][j+1])
			} else {
				match[i][j] = j < len(got) && got[j] == exp[i] && match[i+1][j+1]
			}
		}
	}
	if !match[0][0] {
		t.Errorf("%s: the output is not the documented one.\ndocumented:\n%s\ngot:\n%s", b, strings.Join(exp, "\n"), strings.Join(got, "\n"))
	}
}

func lines(t *testing.T, s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		out = append(out, mask(t, sc.Text()))
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}
