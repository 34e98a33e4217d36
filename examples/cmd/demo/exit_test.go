package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/failhop/failhop/examples/internal/shop"
	"github.com/failhop/failhop/internal/devstack/stack"
	"github.com/failhop/failhop/internal/devstack/syncbuf"
)

// These tests run the demo as `make demo` does, as its own process, and
// check that it refuses to start on taken ports and that every way it ends
// stops what it started.

var demoBin struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if demoBin.dir != "" {
		os.RemoveAll(demoBin.dir)
	}
	os.Exit(code)
}

// buildDemo builds this command once for the tests.
func buildDemo(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("starts processes")
	}
	if runtime.GOOS != "linux" {
		t.Skip("checks processes and port holders through /proc")
	}
	demoBin.once.Do(func() {
		if demoBin.dir, demoBin.err = os.MkdirTemp("", "failhop-demo-test-"); demoBin.err != nil {
			return
		}
		demoBin.path = filepath.Join(demoBin.dir, "demo")
		if out, err := exec.Command("go", "build", "-o", demoBin.path, ".").CombinedOutput(); err != nil {
			demoBin.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if demoBin.err != nil {
		t.Fatal(demoBin.err)
	}
	return demoBin.path
}

// demoRun is one run of the demo.
type demoRun struct {
	cmd  *exec.Cmd
	mark string // in the environment of every process it starts
	out  syncbuf.Buffer
	seen chan string // lines of its output, stdout and stderr
}

// startDemo starts the demo with args, our environment without the
// demo's own settings, then env. The run's processes all carry a variable
// of their own, so that the test can tell afterwards whether one is left.
func startDemo(t *testing.T, env []string, args ...string) *demoRun {
	t.Helper()
	r := &demoRun{mark: fmt.Sprintf("FAILHOP_TEST_RUN=%s-%d", t.Name(), time.Now().UnixNano()), seen: make(chan string, 1000)}
	r.cmd = exec.Command(buildDemo(t), append([]string{"-dir", t.TempDir()}, args...)...)
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "DEMO_") && !strings.HasPrefix(name, "JAEGER_") && !strings.HasPrefix(name, "COLLECTOR_") &&
			name != "DATABASE_URL" && name != "OTEL_EXPORTER_OTLP_ENDPOINT" {
			r.cmd.Env = append(r.cmd.Env, kv)
		}
	}
	r.cmd.Env = append(append(r.cmd.Env, env...), r.mark)
	pr, pw := io.Pipe()
	r.cmd.Stdout, r.cmd.Stderr = pw, pw
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		r.cmd.Wait()
		pw.Close()
	}()
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			r.out.WriteString(sc.Text() + "\n")
			select {
			case r.seen <- sc.Text():
			default:
			}
		}
		close(r.seen)
	}()
	t.Cleanup(func() {
		r.cmd.Process.Kill()
		if t.Failed() {
			t.Logf("the demo's output:\n%s", r.out.String())
		}
	})
	return r
}

// wait waits for the demo to exit and returns its exit status.
func (r *demoRun) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case _, ok := <-r.seen:
			if !ok {
				for r.cmd.ProcessState == nil {
					time.Sleep(10 * time.Millisecond)
				}
				return r.cmd.ProcessState.ExitCode()
			}
		case <-deadline:
			t.Fatalf("the demo did not exit within %v", timeout)
		}
	}
}

// waitFor waits until the demo prints a line that starts with prefix.
func (r *demoRun) waitFor(t *testing.T, prefix string, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case l, ok := <-r.seen:
			if !ok {
				t.Fatalf("the demo exited before printing %q", prefix)
			}
			if strings.HasPrefix(l, prefix) {
				return
			}
		case <-deadline:
			t.Fatalf("the demo did not print %q within %v", prefix, timeout)
		}
	}
}

// checkStopped checks that no process the run started is left, and that
// the ports it said it listened on are free again.
func (r *demoRun) checkStopped(t *testing.T) {
	t.Helper()
	for _, p := range stack.KillLeftOver(r.mark, 5*time.Second) {
		t.Errorf("left running: %s", p)
	}
	ports := listenedOn.FindAllStringSubmatch(r.out.String(), -1)
	if len(ports) == 0 {
		t.Errorf("no port in the output:\n%s", r.out.String())
	}
	for _, m := range ports {
		port, _ := strconv.Atoi(m[1])
		checkFree(t, port)
	}
}

// listenedOn finds the ports in the stack's and the shop's progress lines.
var listenedOn = regexp.MustCompile(`127\.0\.0\.1:(\d+)`)

func checkFree(t *testing.T, port int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Errorf("port %d is still taken: %s", port, stack.Holder(port))
		return
	}
	l.Close()
}

func isFree(port int) bool {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err == nil {
		l.Close()
	}
	return err == nil
}

// With the gateway's port taken, the demo refuses before it starts
// anything, in one line that names the port, who holds it and how to move
// it, and exits 1.
func TestRefusesTakenShopPort(t *testing.T) {
	buildDemo(t)
	l, err := net.Listen("tcp", shop.DefaultAddrs["gateway"])
	if err != nil {
		t.Skipf("the gateway's port is taken already: %v", err)
	}
	defer l.Close()
	var wereFree []int
	for _, p := range append(stackPorts(stack.DefaultPorts), 8081, 8082, 8083, 8084, 16680) {
		if isFree(p) {
			wereFree = append(wereFree, p)
		}
	}

	r := startDemo(t, []string{"DEMO_ONCE=1"}, "all")
	if code := r.wait(t, 60*time.Second); code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	want := fmt.Sprintf("demo: port 8080 (the shop's gateway) is in use by pid %d (%s); stop it, or move it with DEMO_FREE_PORTS=1 (every port of the demo on a free one)\n",
		os.Getpid(), filepath.Base(os.Args[0]))
	out := r.out.String()
	if !strings.Contains(out, want) {
		t.Errorf("missing\n%s in:\n%s", want, out)
	}
	for l := range strings.Lines(out) {
		if !strings.HasPrefix(l, "demo: port ") {
			t.Errorf("more than the taken ports: %q", l)
		}
	}
	t.Logf("as expected, status 1 and:\n%s", out)
	for _, p := range stack.ProcessesWithEnv(r.mark) {
		t.Errorf("left running: pid %d (%s)", p, stack.ProcessName(p))
	}
	for _, p := range wereFree {
		checkFree(t, p)
	}
}

func stackPorts(p stack.Ports) []int {
	return []int{p.JaegerQuery, p.JaegerQueryGRPC, p.JaegerOTLPGRPC, p.JaegerOTLPHTTP, p.JaegerHealth,
		p.CollectorOTLPGRPC, p.CollectorOTLPHTTP, p.CollectorHealth}
}

// The shop fails to start after the stack is up (here: an invalid
// DATABASE_URL, on which inventory exits): the demo says why, exits 1, and
// stops Jaeger and the collector.
func TestShopFailureStopsStack(t *testing.T) {
	r := startDemo(t, []string{"DEMO_ONCE=1", "DEMO_FREE_PORTS=1", "DATABASE_URL=postgres://%zz/x"}, "run", "healthy")
	if code := r.wait(t, 3*time.Minute); code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	out := r.out.String()
	for _, want := range []string{"stack: stack ready", "exited at start", "DATABASE_URL is not a valid URL", "stack: stopping Jaeger"} {
		if !strings.Contains(out, want) {
			t.Errorf("the output does not say %q", want)
		}
	}
	r.checkStopped(t)
}

// Ctrl-C on a demo that keeps everything up stops everything, and the
// demo exits 0. Before, it says how to look around, down to the line
// that registers failhop mcp with an AI assistant for its Jaeger.
func TestCtrlCStopsEverything(t *testing.T) {
	r := startDemo(t, []string{"DEMO_FREE_PORTS=1"}, "run", "healthy")
	r.waitFor(t, "Press Ctrl-C to stop.", 3*time.Minute)
	root, err := stack.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if want := "  AI assistants: " + filepath.Join(root, "bin", "failhop") + " mcp --jaeger http://127.0.0.1:"; !strings.Contains(r.out.String(), want) {
		t.Errorf("the demo does not print %q:\n%s", want, r.out.String())
	}
	r.cmd.Process.Signal(os.Interrupt)
	if code := r.wait(t, time.Minute); code != 0 {
		t.Errorf("exit status %d after Ctrl-C, want 0", code)
	}
	r.checkStopped(t)
}

// A demo started while another stack holds its ports (here: the ports
// that the variables of the configs choose) refuses, naming each port and
// the process of the other stack that holds it, and leaves that stack
// alone.
// TestKilledStopsEverything: a demo killed outright (SIGKILL, no chance
// to stop anything) still leaves nothing behind: its children get SIGTERM
// when it dies.
func TestKilledStopsEverything(t *testing.T) {
	r := startDemo(t, []string{"DEMO_FREE_PORTS=1"}, "run", "healthy")
	r.waitFor(t, "Press Ctrl-C to stop.", 3*time.Minute)
	r.cmd.Process.Kill()
	r.wait(t, time.Minute)
	r.checkStopped(t)
}

func TestRefusesPortsOfAnotherStack(t *testing.T) {
	buildDemo(t)
	other, err := stack.Start(context.Background(), stack.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var env []string
	holder := map[int]string{}
	for _, svc := range []*stack.Service{other.Jaeger, other.Collector} {
		for _, p := range svc.Listens() {
			holder[p.Port] = fmt.Sprintf("pid %d (%s)", svc.PID(), filepath.Base(map[bool]string{true: "jaeger", false: "failhop-collector"}[svc == other.Jaeger]))
			env = append(env, strings.Replace(strings.TrimPrefix(p.Move, "move it with "), "...", strconv.Itoa(p.Port), 1))
		}
	}

	r := startDemo(t, append(env, "DEMO_ONCE=1"), "all")
	if code := r.wait(t, 60*time.Second); code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	out := r.out.String()
	for _, svc := range []*stack.Service{other.Jaeger, other.Collector} {
		for _, p := range svc.Listens() {
			want := fmt.Sprintf("demo: port %d (%s) is in use by %s; stop it, or %s, or every port with DEMO_FREE_PORTS=1\n", p.Port, p.What, holder[p.Port], p.Move)
			if !strings.Contains(out, want) {
				t.Errorf("missing\n%s in:\n%s", want, out)
			}
		}
	}
	if strings.Contains(out, "starting") {
		t.Errorf("it started something:\n%s", out)
	}
	t.Logf("as expected, status 1 and:\n%s", out)
	for _, p := range stack.ProcessesWithEnv(r.mark) {
		t.Errorf("left running: pid %d (%s)", p, stack.ProcessName(p))
	}

	if !other.Jaeger.Running() || !other.Collector.Running() {
		t.Fatal("the other stack stopped")
	}
	for port, who := range holder {
		if got := stack.Holder(port); got != who {
			t.Errorf("port %d: held by %s, was %s", port, got, who)
		}
	}
	resp, err := http.Get(other.JaegerURL + "/api/services")
	if err != nil {
		t.Fatalf("the other Jaeger: %v", err)
	}
	resp.Body.Close()
	if !slices.Contains([]int{http.StatusOK}, resp.StatusCode) {
		t.Errorf("the other Jaeger: %s", resp.Status)
	}
}
