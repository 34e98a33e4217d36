// Package jaegertest runs a private Jaeger (bin/jaeger, built by `make
// bin/jaeger`) for a test: on free loopback ports, with memory storage and
// collector-config/jaeger.yaml, stopped when the test ends.
//
//	j := jaegertest.StartJaeger(t)
//	// send spans with OTLP to j.OTLPGRPCEndpoint or j.OTLPHTTPEndpoint,
//	// read them back from j.QueryURL.
package jaegertest

import (
	"context"
	"errors"
	"fmt"
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
)

// Jaeger is a running Jaeger.
type Jaeger struct {
	// QueryURL is the query API's and UI's base URL, "http://127.0.0.1:PORT".
	QueryURL string
	// OTLPGRPCEndpoint is the OTLP/gRPC receiver's host:port (no scheme),
	// as otlptracegrpc.WithEndpoint takes it (with WithInsecure).
	OTLPGRPCEndpoint string
	// OTLPHTTPEndpoint is the OTLP/HTTP receiver's host:port (no scheme),
	// as otlptracehttp.WithEndpoint takes it (with WithInsecure); traces go
	// to http://OTLPHTTPEndpoint/v1/traces.
	OTLPHTTPEndpoint string
	// HealthURL answers 200 while Jaeger is ready.
	HealthURL string
	// LogFile holds Jaeger's output; it is logged when the test fails.
	LogFile string

	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
}

// StartTimeout bounds how long StartJaeger waits for Jaeger to be ready.
var StartTimeout = 30 * time.Second

// StartJaeger starts Jaeger for t and stops it when t ends. It fails t if
// bin/jaeger has not been built, or Jaeger does not become ready.
func StartJaeger(t testing.TB) *Jaeger {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Fatalf("jaegertest: %v", err)
	}
	bin := filepath.Join(root, "bin", "jaeger")
	if fi, err := os.Stat(bin); err != nil || fi.IsDir() {
		t.Fatalf("jaegertest: %s not found: run `make bin/jaeger` first (it builds Jaeger from tools/go.mod, ~3 minutes the first time)", bin)
	}
	config := filepath.Join(root, "collector-config", "jaeger.yaml")
	if _, err := os.Stat(config); err != nil {
		t.Fatalf("jaegertest: %v", err)
	}

	// Free ports can be taken between the probe and Jaeger's start by
	// another process; try a few times.
	var lastErr error
	for attempt := 1; attempt <= 3; attempt++ {
		j, err := start(t, bin, config)
		if err == nil {
			return j
		}
		lastErr = err
		t.Logf("jaegertest: start attempt %d: %v", attempt, err)
	}
	t.Fatalf("jaegertest: Jaeger did not start: %v", lastErr)
	return nil
}

func start(t testing.TB, bin, config string) (*Jaeger, error) {
	ports, err := freePorts(5)
	if err != nil {
		return nil, err
	}
	grpcPort, httpPort, queryPort, queryGRPCPort, healthPort := ports[0], ports[1], ports[2], ports[3], ports[4]
	j := &Jaeger{
		QueryURL:         "http://127.0.0.1:" + strconv.Itoa(queryPort),
		OTLPGRPCEndpoint: "127.0.0.1:" + strconv.Itoa(grpcPort),
		OTLPHTTPEndpoint: "127.0.0.1:" + strconv.Itoa(httpPort),
		HealthURL:        "http://127.0.0.1:" + strconv.Itoa(healthPort) + "/",
		done:             make(chan struct{}),
	}
	logf, err := os.CreateTemp(t.TempDir(), "jaeger-*.log")
	if err != nil {
		return nil, err
	}
	j.LogFile = logf.Name()

	cmd := exec.Command(bin, "--config", config)
	cmd.Env = append(os.Environ(),
		"JAEGER_HOST=127.0.0.1",
		"JAEGER_OTLP_GRPC_PORT="+strconv.Itoa(grpcPort),
		"JAEGER_OTLP_HTTP_PORT="+strconv.Itoa(httpPort),
		"JAEGER_QUERY_PORT="+strconv.Itoa(queryPort),
		"JAEGER_QUERY_GRPC_PORT="+strconv.Itoa(queryGRPCPort),
		"JAEGER_HEALTH_PORT="+strconv.Itoa(healthPort),
		// Belt and braces: no OpenTelemetry SDK in Jaeger exports its own
		// spans, whatever the test's environment says.
		"OTEL_TRACES_EXPORTER=none",
		"OTEL_METRICS_EXPORTER=none",
		"OTEL_LOGS_EXPORTER=none",
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	logf.Close() // the child has its own descriptor
	j.cmd = cmd
	go func() {
		cmd.Wait()
		close(j.done)
	}()

	if err := j.waitReady(StartTimeout); err != nil {
		j.stop()
		return nil, fmt.Errorf("%w\n%s", err, j.logTail(60))
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("jaegertest: Jaeger's log (%s):\n%s", j.LogFile, j.logTail(200))
		}
		j.stop()
	})
	return j, nil
}

// waitReady polls the health check and the query API until both answer.
func (j *Jaeger) waitReady(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	ready := func(url string) bool {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if ready(j.HealthURL) && ready(j.QueryURL+"/api/services") {
			return nil
		}
		select {
		case <-j.done:
			return fmt.Errorf("jaeger exited early (%v)", j.cmd.ProcessState)
		case <-ctx.Done():
			return fmt.Errorf("jaeger not ready after %v at %s", timeout, j.HealthURL)
		case <-tick.C:
		}
	}
}

// stop sends SIGTERM, waits up to 10s, then kills Jaeger.
func (j *Jaeger) stop() {
	if j.cmd == nil || j.cmd.Process == nil {
		return
	}
	select {
	case <-j.done:
		return
	default:
	}
	_ = j.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-j.done:
	case <-time.After(10 * time.Second):
		_ = j.cmd.Process.Kill()
		<-j.done
	}
}

// Log returns Jaeger's output so far.
func (j *Jaeger) Log() string {
	b, _ := os.ReadFile(j.LogFile)
	return string(b)
}

func (j *Jaeger) logTail(lines int) string {
	l := strings.Split(strings.TrimRight(j.Log(), "\n"), "\n")
	if len(l) > lines {
		l = append([]string{"..."}, l[len(l)-lines:]...)
	}
	return strings.Join(l, "\n")
}

// freePorts returns n distinct free TCP ports on 127.0.0.1.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// RepoRoot returns the directory of failhop's root module (the go.mod of
// module github.com/failhop/failhop), found by walking up from the working
// directory, which for a test is its package's directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && isRootModule(b) {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", errors.New("no go.mod of module github.com/failhop/failhop above " + dir)
		}
		d = parent
	}
}

func isRootModule(gomod []byte) bool {
	for _, line := range strings.Split(string(gomod), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`) == "github.com/failhop/failhop"
		}
	}
	return false
}
