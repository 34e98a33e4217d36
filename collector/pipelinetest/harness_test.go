package pipelinetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// root is the repository's root directory.
func root(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "collector-config")); err != nil {
		t.Fatalf("repository root not found from %s: %v", dir, err)
	}
	return dir
}

// binary returns bin/NAME, failing t if it has not been built.
func builtBinary(t testing.TB, name, how string) string {
	t.Helper()
	p := filepath.Join(root(t), "bin", name)
	if fi, err := os.Stat(p); err != nil || fi.IsDir() {
		t.Fatalf("%s not found: run `%s` first", p, how)
	}
	return p
}

func collectorBin(t testing.TB) string {
	return builtBinary(t, "failhop-collector", "make bin/failhop-collector")
}

func jaegerBin(t testing.TB) string {
	return builtBinary(t, "jaeger", "make bin/jaeger")
}

// freePorts returns n distinct free loopback ports.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ls []net.Listener
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

func addr(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

// process is a running binary, stopped when the test ends.
type process struct {
	name string
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan struct{}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs bin with args and env (added to a clean environment) and
// waits until healthURL answers 200. Its output is logged if t fails.
func start(t testing.TB, name, bin string, env []string, healthURL string, args ...string) *process {
	t.Helper()
	p := &process{name: name, log: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Dir = root(t)
	p.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("%s's output:\n%s", name, tail(p.log.String(), 60))
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-p.done:
			t.Fatalf("%s exited before it was ready: %v\n%s", name, p.cmd.ProcessState, tail(p.log.String(), 60))
		default:
		}
		resp, err := http.Get(healthURL)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after 30s (%s): %v", name, healthURL, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop ends the process with SIGTERM, then SIGKILL after 10s.
func (p *process) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

func tail(s string, lines int) string {
	all := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// jaeger is a running Jaeger with memory storage.
type jaeger struct {
	queryURL string
	otlpGRPC string // host:port
}

func startJaeger(t testing.TB) *jaeger {
	t.Helper()
	return startJaegerOn(t, freePorts(t, 5))
}

// startJaegerOn starts Jaeger on the given ports: OTLP/gRPC, OTLP/HTTP,
// query HTTP, query gRPC, health.
func startJaegerOn(t testing.TB, ports []int) *jaeger {
	t.Helper()
	env := []string{
		"JAEGER_OTLP_GRPC_PORT=" + strconv.Itoa(ports[0]),
		"JAEGER_OTLP_HTTP_PORT=" + strconv.Itoa(ports[1]),
		"JAEGER_QUERY_PORT=" + strconv.Itoa(ports[2]),
		"JAEGER_QUERY_GRPC_PORT=" + strconv.Itoa(ports[3]),
		"JAEGER_HEALTH_PORT=" + strconv.Itoa(ports[4]),
	}
	start(t, "jaeger", jaegerBin(t), env, "http://"+addr(ports[4])+"/",
		"--config", filepath.Join(root(t), "collector-config", "jaeger.yaml"))
	return &jaeger{queryURL: "http://" + addr(ports[2]), otlpGRPC: addr(ports[0])}
}

// collector is a running failhop collector.
type collector struct {
	otlpGRPC, otlpHTTP string
}

// startCollector runs bin/failhop-collector with a config of
// collector-config/ (or a path) and env on top of fresh ports and storage.
func startCollector(t testing.TB, name, config string, env ...string) *collector {
	t.Helper()
	if !filepath.IsAbs(config) {
		config = filepath.Join(root(t), "collector-config", config)
	}
	ports := freePorts(t, 3)
	c := &collector{otlpGRPC: addr(ports[0]), otlpHTTP: addr(ports[1])}
	base := []string{
		"COLLECTOR_OTLP_GRPC_ENDPOINT=" + c.otlpGRPC,
		"COLLECTOR_OTLP_HTTP_ENDPOINT=" + c.otlpHTTP,
		"COLLECTOR_HEALTH_ENDPOINT=" + addr(ports[2]),
		"FAILHOP_STORAGE_DIR=" + t.TempDir(),
	}
	start(t, name, collectorBin(t), append(base, env...), "http://"+addr(ports[2])+"/", "--config", config)
	return c
}

// jaegerTrace is a trace as Jaeger's query API returns it.
type jaegerTrace struct {
	TraceID string `json:"traceID"`
	Spans   []struct {
		SpanID        string `json:"spanID"`
		OperationName string `json:"operationName"`
		ProcessID     string `json:"processID"`
		Tags          []struct {
			Key   string `json:"key"`
			Type  string `json:"type"`
			Value any    `json:"value"`
		} `json:"tags"`
	} `json:"spans"`
}

// tag returns a span's tag value, formatted, and whether it has it.
func (tr jaegerTrace) tag(spanID, key string) (string, bool) {
	for _, s := range tr.Spans {
		if s.SpanID != spanID {
			continue
		}
		for _, tg := range s.Tags {
			if tg.Key == key {
				return fmt.Sprint(tg.Value), true
			}
		}
	}
	return "", false
}

// search asks Jaeger for the traces of service with the tags.
func (j *jaeger) search(t testing.TB, service string, tags map[string]string) []jaegerTrace {
	t.Helper()
	q := url.Values{"service": {service}, "lookback": {"1h"}, "limit": {"100"}}
	if len(tags) > 0 {
		b, _ := json.Marshal(tags)
		q.Set("tags", string(b))
	}
	var out struct {
		Data []jaegerTrace `json:"data"`
	}
	j.get(t, "/api/traces?"+q.Encode(), &out)
	return out.Data
}

// trace returns the trace by ID, or false if Jaeger does not have it.
func (j *jaeger) trace(t testing.TB, traceID string) (jaegerTrace, bool) {
	t.Helper()
	var out struct {
		Data []jaegerTrace `json:"data"`
	}
	if !j.get(t, "/api/traces/"+traceID, &out) || len(out.Data) == 0 {
		return jaegerTrace{}, false
	}
	return out.Data[0], true
}

func (j *jaeger) get(t testing.TB, path string, v any) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, j.queryURL+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("jaeger: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return false
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("jaeger: GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("jaeger: GET %s: %v", path, err)
	}
	return true
}

// eventually polls f until it returns true or timeout passes.
func eventually(timeout time.Duration, f func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if f() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(200 * time.Millisecond)
	}
}
