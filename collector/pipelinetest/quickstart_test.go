package pipelinetest

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/failhop/failhop/analyzer"
	"github.com/failhop/failhop/internal/devstack/stack"
	"github.com/failhop/failhop/internal/devstack/syncbuf"
	jaegerapi "github.com/failhop/failhop/jaeger"
)

// The README's Quick start, as a newcomer follows it: its program is
// README.md's Go block itself, not a copy, in a module of its own beside
// a clone of failhop, set up with the README's commands.

// quickStartProgram returns the Go program of README.md's Quick start. A
// Go program anywhere else in the docs fails t: no test would build it.
func quickStartProgram(t *testing.T) string {
	t.Helper()
	var program string
	for _, b := range readBlocks(t, "go") {
		if !strings.Contains(b.text, "\nfunc main() {") && !strings.HasPrefix(b.text, "package main") {
			continue // a fragment
		}
		if b.file != "README.md" || program != "" || !strings.Contains(b.text, `exporters.WithServiceName("orders")`) {
			t.Errorf("%s: a Go program that no test builds: build it in quickstart_test.go", b)
			continue
		}
		program = b.text
	}
	if program == "" {
		t.Fatal("README.md has no Quick start program")
	}
	return program
}

// TestQuickStart builds the Quick start's service as the README says
// and runs it as a user would, against the real collector and Jaeger: a
// request whose payments call gets no answer fails with 502, the service
// is stopped (SIGTERM) right after the response, and the trace, flushed
// on the way out, is in Jaeger with its failing hop marked.
func TestQuickStart(t *testing.T) {
	program := quickStartProgram(t)

	// Your service's module, beside a clone of failhop.
	dir := t.TempDir()
	if err := os.Symlink(root(t), filepath.Join(dir, "failhop")); err != nil {
		t.Fatal(err)
	}
	svc := filepath.Join(dir, "orders")
	if err := os.Mkdir(svc, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(svc, "main.go"), []byte(program), 0o644); err != nil {
		t.Fatal(err)
	}
	env := docEnv(t)
	// The module exists before failhop is added; its SQLite driver is at
	// the version the repository's own modules test, not whatever is
	// newest today.
	runDocIn(t, svc, "go mod init example.com/orders\ngo mod edit -require=modernc.org/sqlite@"+moduleVersion(t, "examples", "modernc.org/sqlite")+"\n", time.Minute, env)
	runDocIn(t, svc, block(t, readDocBlocks(t), "README.md", "go mod edit -replace github.com/failhop/failhop=../failhop").text, 5*time.Minute, env)
	// The first build compiles the SQLite driver: minutes.
	runDocIn(t, svc, "go build -o orders .\n", 15*time.Minute, env)

	st := startPipeline(t, "FAILHOP_SAMPLE_PERCENT=0")
	ports, err := stack.FreePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(ports[0])
	cmd := exec.Command(filepath.Join(svc, "orders"))
	cmd.Dir = svc
	cmd.Env = append(env,
		"OTEL_EXPORTER_OTLP_ENDPOINT=http://"+st.OTLPGRPCEndpoint,
		"ADDR="+addr,
		// Nothing listens there: payments is down.
		"PAYMENTS_URL=http://127.0.0.1:"+strconv.Itoa(ports[1]))
	var out syncbuf.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Kill()
		if t.Failed() {
			t.Logf("the service's output:\n%s", out.String())
		}
	}()
	listening := eventually(time.Minute, func() bool {
		select {
		case err := <-exited:
			t.Fatalf("the service exited at start (%v):\n%s", err, out.String())
		default:
		}
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	if !listening {
		t.Fatalf("the service does not listen on %s", addr)
	}

	resp, err := http.Post("http://"+addr+"/orders?item=book", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// Stopped as soon as it has answered, as a deploy would.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusBadGateway {
		t.Errorf("POST /orders with payments down: %s %q, want 502", resp.Status, body)
	}
	// 00-<trace ID>-<span ID>-01: the reference a user quotes.
	ref := strings.Split(resp.Header.Get("Traceresponse"), "-")
	if len(ref) != 4 {
		t.Fatalf("no trace reference in the answer's Traceresponse header: %q", resp.Header.Get("Traceresponse"))
	}
	traceID := ref[1]

	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("after SIGTERM the service exited with %v, want status 0", err)
		}
	case <-time.After(time.Minute):
		t.Fatalf("the service is still running a minute after SIGTERM")
	}

	// The trace, sent by the service's shutdown, is in Jaeger, with the
	// failing hop marked by the collector.
	jaeger := jaegerapi.New(st.JaegerURL)
	var tr *analyzer.Trace
	if !eventually(time.Minute, func() bool {
		got, err := jaeger.Trace(t.Context(), traceID)
		if errors.Is(err, jaegerapi.ErrNotFound) {
			return false
		} else if err != nil {
			t.Fatalf("jaeger: %v", err)
		}
		tr = got
		return len(marked(tr)) > 0
	}) {
		if tr == nil {
			t.Fatalf("trace %s of the failed request is not in Jaeger", traceID)
		}
		t.Fatalf("trace %s is in Jaeger with no span marked failhop.root_cause=true:\n%s", traceID, dump(tr))
	}
	m := marked(tr)
	if len(m) != 1 || m[0].Service != "orders" || m[0].Kind != analyzer.KindClient ||
		m[0].Attr("service.peer.name") != "payments" || m[0].Attr("failhop.cause") != "peer_unreachable" {
		t.Errorf("failhop.root_cause=true on %d spans, want only orders' call of payments, unanswered (peer_unreachable):\n%s", len(m), dump(tr))
	}
	// RecordError put the error itself on the request's span.
	r := analyzer.Analyze(tr)
	var recorded bool
	for _, s := range tr.Spans {
		if s.SpanID != r.Root.SpanID {
			continue
		}
		for _, e := range s.Events {
			msg, _ := e.Attributes["exception.message"].(string)
			recorded = recorded || e.Name == "exception" && strings.Contains(msg, "connection refused")
		}
	}
	if !recorded {
		t.Errorf("the request's span has no exception event with the payments call's error:\n%s", dump(tr))
	}
}

// moduleVersion returns the version of module mod that the go.mod of
// the repository's module in dir requires.
func moduleVersion(t *testing.T, dir, mod string) string {
	t.Helper()
	f, err := os.Open(filepath.Join(root(t), dir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) >= 2 && fields[0] == mod {
			return fields[1]
		}
	}
	t.Fatalf("%s/go.mod does not require %s", dir, mod)
	return ""
}

// TestInstallCLI installs failhop's command as the README's Quick start
// says, from the clone, and runs it from another directory.
func TestInstallCLI(t *testing.T) {
	gobin := t.TempDir() // not the machine's GOPATH/bin
	env := append(docEnv(t), "GOBIN="+gobin)
	runDocIn(t, root(t), block(t, readDocBlocks(t), "README.md", "go install ./cmd/failhop").text, 5*time.Minute, env)
	if _, err := os.Stat(filepath.Join(gobin, "failhop")); err != nil {
		t.Fatalf("go install put no failhop into GOBIN: %v", err)
	}
	for i, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			env[i] = "PATH=" + gobin + string(os.PathListSeparator) + v
		}
	}
	out := runDocIn(t, t.TempDir(), "failhop why --file "+filepath.Join(root(t), "testdata", "traces", "db-error.json")+"\n", time.Minute, env)
	if !strings.Contains(out, "failing hop 1 of 1: inventory → sqlite SELECT stock") {
		t.Errorf("the installed failhop does not name the failing hop:\n%s", out)
	}
}

// The Quick start's snippet for teams that set OpenTelemetry up
// themselves is instrument's ExampleWithTracerProvider, which the
// compiler checks: every line of the snippet is in it.
func TestWithTracerProviderSnippet(t *testing.T) {
	example, err := os.ReadFile(filepath.Join(root(t), "instrument", "example_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	var snippet string
	for _, b := range readBlocks(t, "go") {
		if b.file == "README.md" && strings.HasPrefix(b.text, "opt := instrument.WithTracerProvider(tp)") {
			snippet = b.text
		}
	}
	if snippet == "" {
		t.Fatal("README.md has no snippet starting with opt := instrument.WithTracerProvider(tp)")
	}
	for _, line := range strings.Split(strings.TrimSpace(snippet), "\n") {
		code, _, _ := strings.Cut(line, " //")
		if !strings.Contains(string(example), "\t"+code) {
			t.Errorf("README.md's line %q is not in instrument/example_test.go's ExampleWithTracerProvider", code)
		}
	}
}
