package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/failhop/failhop/internal/devstack/stack"
	"github.com/failhop/failhop/internal/devstack/syncbuf"
	"github.com/failhop/failhop/internal/present/webui"
)

// The command runs as `make stack` runs it: built, in its own process.
func buildStack(t *testing.T) string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("checks processes and port holders through /proc")
	}
	bin := filepath.Join(t.TempDir(), "stack")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// portEnv is the environment that moves every port of a stack to p, as
// a user would with the configs' variables.
func portEnv(p stack.Ports) []string {
	a := func(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }
	return []string{
		"JAEGER_QUERY_PORT=" + strconv.Itoa(p.JaegerQuery),
		"JAEGER_QUERY_GRPC_PORT=" + strconv.Itoa(p.JaegerQueryGRPC),
		"JAEGER_OTLP_GRPC_PORT=" + strconv.Itoa(p.JaegerOTLPGRPC),
		"JAEGER_OTLP_HTTP_PORT=" + strconv.Itoa(p.JaegerOTLPHTTP),
		"JAEGER_HEALTH_PORT=" + strconv.Itoa(p.JaegerHealth),
		"COLLECTOR_OTLP_GRPC_ENDPOINT=" + a(p.CollectorOTLPGRPC),
		"COLLECTOR_OTLP_HTTP_ENDPOINT=" + a(p.CollectorOTLPHTTP),
		"COLLECTOR_HEALTH_ENDPOINT=" + a(p.CollectorHealth),
		"FAILHOP_METRICS_ENDPOINT=" + a(p.FailureMetrics),
		"COLLECTOR_METRICS_LEVEL=none",
	}
}

// pageEnv moves failhop's page, which the stack also serves, to a free
// port.
func pageEnv(t *testing.T) string {
	t.Helper()
	free, err := stack.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	return webui.PortEnv + "=" + strconv.Itoa(free[0])
}

// command runs bin with env added to ours and a variable of its own, which
// every process it starts inherits (see noneLeft).
func command(t *testing.T, bin string, env ...string) (*exec.Cmd, string) {
	mark := fmt.Sprintf("FAILHOP_TEST_RUN=%s-%d", t.Name(), time.Now().UnixNano())
	cmd := exec.Command(bin, "-dir", t.TempDir())
	cmd.Env = append(append(os.Environ(), env...), mark)
	return cmd, mark
}

// noneLeft checks that no process of the run marked mark is left.
func noneLeft(t *testing.T, mark string) {
	t.Helper()
	for _, p := range stack.KillLeftOver(mark, 5*time.Second) {
		t.Errorf("left running: %s", p)
	}
}

func get(url string) error {
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Get(url)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return nil
}

// `make stack` while another stack holds its ports refuses before it starts
// anything, one line per port naming the process that holds it and the
// variable that moves it, and leaves the other stack alone.
func TestRefusesPortsOfAnotherStack(t *testing.T) {
	bin := buildStack(t)
	other, err := stack.Start(context.Background(), stack.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ports := other.Jaeger.Listens()
	ports = append(ports, other.Collector.Listens()...)
	p := portsOf(t, other)

	cmd, mark := command(t, bin, append(portEnv(p), pageEnv(t))...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit %v, want status 1; stderr:\n%s", err, stderr.String())
	}
	holder := map[string]int{"Jaeger": other.Jaeger.PID(), "collector": other.Collector.PID()}
	lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
	if len(lines) != len(ports) {
		t.Errorf("%d lines, want one per port (%d):\n%s", len(lines), len(ports), stderr.String())
	}
	for _, port := range ports {
		who, _, _ := strings.Cut(port.What, " ")
		name := map[string]string{"Jaeger": "jaeger", "collector": "failhop-collector"}[who]
		want := fmt.Sprintf("stack: port %d (%s) is in use by pid %d (%s); stop it, or %s", port.Port, port.What, holder[who], name, port.Move)
		if !strings.Contains(stderr.String(), want+"\n") {
			t.Errorf("missing line %q in:\n%s", want, stderr.String())
		}
	}
	t.Logf("as expected, status 1 and:\n%s", stderr.String())
	if strings.Contains(stderr.String(), "starting") {
		t.Errorf("it started something:\n%s", stderr.String())
	}
	noneLeft(t, mark)

	if !other.Jaeger.Running() || !other.Collector.Running() {
		t.Fatal("the other stack stopped")
	}
	for _, port := range ports {
		if held, known := stack.HeldBy(port.Port, holder[strings.Fields(port.What)[0]]); known && !held {
			t.Errorf("port %d is no longer the other stack's: %s", port.Port, stack.Holder(port.Port))
		}
	}
	if err := get(other.JaegerURL + "/api/services"); err != nil {
		t.Errorf("the other Jaeger: %v", err)
	}
	if err := get("http://127.0.0.1:" + strconv.Itoa(p.CollectorHealth) + "/"); err != nil {
		t.Errorf("the other collector: %v", err)
	}
}

// portsOf returns the ports a running stack listens on.
func portsOf(t *testing.T, s *stack.Stack) stack.Ports {
	t.Helper()
	byWhat := map[string]int{}
	for _, p := range append(s.Jaeger.Listens(), s.Collector.Listens()...) {
		byWhat[p.What] = p.Port
	}
	p := stack.Ports{
		JaegerQuery: byWhat["Jaeger query API"], JaegerQueryGRPC: byWhat["Jaeger query API, gRPC"],
		JaegerOTLPGRPC: byWhat["Jaeger OTLP/gRPC receiver"], JaegerOTLPHTTP: byWhat["Jaeger OTLP/HTTP receiver"],
		JaegerHealth: byWhat["Jaeger health check"], CollectorOTLPGRPC: byWhat["collector OTLP/gRPC receiver"],
		CollectorOTLPHTTP: byWhat["collector OTLP/HTTP receiver"], CollectorHealth: byWhat["collector health check"],
		FailureMetrics: byWhat["collector failure metrics (Prometheus)"],
	}
	if p.JaegerQuery == 0 || p.CollectorHealth == 0 || p.JaegerOTLPGRPC == 0 {
		t.Fatalf("ports of the stack: %v", byWhat)
	}
	return p
}

// On the ports the variables say, the stack comes up; on Ctrl-C it stops
// Jaeger and the collector and exits 0, leaving no process and no port.
func TestRunsOnMovedPortsAndStops(t *testing.T) {
	bin := buildStack(t)
	p, err := stack.Ports{}.WithFreePorts()
	if err != nil {
		t.Fatal(err)
	}
	cmd, mark := command(t, bin, append(portEnv(p), pageEnv(t))...)
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	out := waitUp(t, pr, 60*time.Second)
	jaegerURL := "http://127.0.0.1:" + strconv.Itoa(p.JaegerQuery)
	if err := get(jaegerURL + "/api/services"); err != nil {
		t.Errorf("Jaeger on the moved port: %v", err)
	}
	if err := get("http://127.0.0.1:" + strconv.Itoa(p.CollectorHealth) + "/"); err != nil {
		t.Errorf("the collector on the moved port: %v", err)
	}
	if !strings.Contains(out.String(), jaegerURL) || !strings.Contains(out.String(), "127.0.0.1:"+strconv.Itoa(p.CollectorOTLPGRPC)) {
		t.Errorf("the output does not name the moved ports:\n%s", out.String())
	}

	cmd.Process.Signal(os.Interrupt)
	err = cmd.Wait()
	pw.Close()
	if err != nil {
		t.Errorf("exit after Ctrl-C: %v\n%s", err, out.String())
	}
	noneLeft(t, mark)
	for _, port := range []int{p.JaegerQuery, p.JaegerQueryGRPC, p.JaegerOTLPGRPC, p.JaegerOTLPHTTP, p.JaegerHealth,
		p.CollectorOTLPGRPC, p.CollectorOTLPHTTP, p.CollectorHealth} {
		if l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port)); err != nil {
			t.Errorf("port %d still taken after the stack stopped: %s", port, stack.Holder(port))
		} else {
			l.Close()
		}
	}
}

// Ctrl-C in the terminal of `make stack`, run as written: the terminal
// sends SIGINT to make and to the stack it runs; the stack stops Jaeger
// and the collector and exits 0, so make reports no error (it then ends
// itself by the same SIGINT, as GNU make does), and nothing is left
// running. (With `go run`, which exits 1 when interrupted whatever its
// program's status, make printed "make: *** [Makefile:..: stack] Error 1".)
func TestMakeStackCtrlC(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("checks processes and port holders through /proc")
	}
	root, err := stack.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	makeBin, err := exec.LookPath("make")
	if err != nil {
		t.Skip("make is not installed")
	}
	p, err := stack.Ports{}.WithFreePorts()
	if err != nil {
		t.Fatal(err)
	}
	mark := fmt.Sprintf("FAILHOP_TEST_RUN=%s-%d", t.Name(), time.Now().UnixNano())
	cmd := exec.Command(makeBin, "stack", "STACK_DIR="+t.TempDir())
	cmd.Dir = root
	for _, kv := range os.Environ() {
		switch name, _, _ := strings.Cut(kv, "="); name {
		case "MAKELEVEL", "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES": // make test's own make: a user's make is not a sub-make
		default:
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(append(cmd.Env, portEnv(p)...), pageEnv(t), mark)
	// A process group of its own, as a terminal gives a foreground job:
	// Ctrl-C signals the whole group.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	group := cmd.Process.Pid
	defer func() {
		syscall.Kill(-group, syscall.SIGKILL)
		noneLeft(t, mark)
	}()
	out := waitUp(t, pr, 5*time.Minute) // make may rebuild bin/failhop-collector first
	if err := get("http://127.0.0.1:" + strconv.Itoa(p.JaegerQuery) + "/api/services"); err != nil {
		t.Errorf("Jaeger: %v", err)
	}

	syscall.Kill(-group, syscall.SIGINT)
	err = cmd.Wait()
	pw.Close()
	t.Logf("make stack, then Ctrl-C:\n%s", out.String())
	// GNU make ends itself with the SIGINT it got once its recipe is done;
	// it would exit 2 had the recipe failed.
	if ee, ok := err.(*exec.ExitError); !ok || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGINT {
		t.Errorf("make ended with %v, want killed by its SIGINT", err)
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(line, "make: ***") || strings.Contains(line, "exit status") {
			t.Errorf("make reports a failure of the stack: %q", line)
		}
	}
	for _, want := range []string{"stack: stopping failhop-collector...", "stack: stopping Jaeger..."} {
		if !strings.Contains(out.String(), want+"\n") {
			t.Errorf("no %q in the output", want)
		}
	}
	noneLeft(t, mark)
	for _, port := range []int{p.JaegerQuery, p.JaegerQueryGRPC, p.JaegerOTLPGRPC, p.JaegerOTLPHTTP, p.JaegerHealth,
		p.CollectorOTLPGRPC, p.CollectorOTLPHTTP, p.CollectorHealth} {
		if l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port)); err != nil {
			t.Errorf("port %d still taken after the stack stopped: %s", port, stack.Holder(port))
		} else {
			l.Close()
		}
	}
}

// waitUp copies the stack's output from pr into the buffer it returns,
// and waits until the stack says it is up ("Press Ctrl-C"), failing t
// after timeout.
func waitUp(t *testing.T, pr io.Reader, timeout time.Duration) *syncbuf.Buffer {
	t.Helper()
	out := &syncbuf.Buffer{}
	up := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			out.WriteString(sc.Text() + "\n")
			if strings.HasPrefix(sc.Text(), "Press Ctrl-C") {
				up <- true
			}
		}
	}()
	select {
	case <-up:
	case <-time.After(timeout):
		t.Fatalf("not up after %s:\n%s", timeout, out.String())
	}
	return out
}
