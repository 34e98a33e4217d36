package pipelinetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/failhop/failhop/analyzer"
	"github.com/failhop/failhop/internal/devstack/stack"
	jaegerapi "github.com/failhop/failhop/jaeger"
)

// The tests run the real binaries through internal/devstack/stack, the
// runner that the demo and `make stack` use, and read Jaeger with the
// failhop CLI's client.

// root is the repository's root directory.
func root(t testing.TB) string {
	t.Helper()
	dir, err := stack.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// builtBinary returns bin/NAME, failing t if it has not been built.
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

func freePorts(t testing.TB) stack.Ports {
	t.Helper()
	p, err := stack.Ports{}.WithFreePorts()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// run starts svc, stops it when t ends, and logs its output if t failed.
func run(t testing.TB, name string, svc *stack.Service) {
	t.Helper()
	jaegerBin(t)
	collectorBin(t)
	if err := svc.Start(context.Background()); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s's log:\n%s", name, svc.LogTail(60))
		}
		svc.Stop()
	})
}

// jaeger is a running Jaeger with memory storage.
type jaeger struct {
	client   *jaegerapi.Client
	otlpGRPC string // host:port
}

func startJaeger(t testing.TB) *jaeger {
	t.Helper()
	return startJaegerOn(t, freePorts(t))
}

// startJaegerOn starts Jaeger on the Jaeger ports of p.
func startJaegerOn(t testing.TB, p stack.Ports) *jaeger {
	t.Helper()
	run(t, "jaeger", stack.JaegerService(root(t), t.TempDir(), p))
	return &jaeger{
		client:   jaegerapi.New("http://" + addr(p.JaegerQuery)),
		otlpGRPC: addr(p.JaegerOTLPGRPC),
	}
}

// collector is a running failhop collector.
type collector struct {
	otlpGRPC, otlpHTTP string
	metricsURL         string // the failure metrics (failhop_sampler's)
}

// startCollector runs bin/failhop-collector with a config of
// collector-config/ (or a path) and env on top of fresh ports and storage.
func startCollector(t testing.TB, name, config string, env ...string) *collector {
	t.Helper()
	p := freePorts(t)
	run(t, name, stack.CollectorService(root(t), t.TempDir(), config, p, env))
	return &collector{otlpGRPC: addr(p.CollectorOTLPGRPC), otlpHTTP: addr(p.CollectorOTLPHTTP), metricsURL: "http://" + addr(p.FailureMetrics) + "/metrics"}
}

func addr(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

// search asks Jaeger for the traces of service with the tags, 100 at most.
func (j *jaeger) search(t testing.TB, service string, tags map[string]string) []*analyzer.Trace {
	t.Helper()
	return j.searchN(t, service, tags, 100)
}

// searchN asks Jaeger for limit traces of service with the tags at most.
func (j *jaeger) searchN(t testing.TB, service string, tags map[string]string, limit int) []*analyzer.Trace {
	t.Helper()
	traces, err := j.client.FindTraces(context.Background(), jaegerapi.Query{Service: service, Tags: tags, Since: time.Hour, Limit: limit})
	if err != nil {
		t.Fatalf("jaeger: %v", err)
	}
	return traces
}

// trace returns the trace by ID, or false if Jaeger does not have it.
func (j *jaeger) trace(t testing.TB, traceID string) (*analyzer.Trace, bool) {
	t.Helper()
	tr, err := j.client.Trace(context.Background(), traceID)
	switch {
	case errors.Is(err, jaegerapi.ErrNotFound):
		return nil, false
	case err != nil:
		t.Fatalf("jaeger: %v", err)
	}
	return tr, true
}

// span returns the span of tr with the ID, or nil.
func span(tr *analyzer.Trace, spanID string) *analyzer.Span {
	for _, s := range tr.Spans {
		if s.SpanID == spanID {
			return s
		}
	}
	return nil
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

// scrapeMetrics reads the collector's Prometheus endpoint on port until it
// has a metric named name (30 s at most), and returns what it read last.
func scrapeMetrics(port int, name string) (string, bool) {
	var metrics string
	ok := eventually(30*time.Second, func() bool {
		var err error
		_, metrics, err = httpGet(fmt.Sprintf("http://127.0.0.1:%d/metrics", port), "")
		return err == nil && strings.Contains(metrics, name)
	})
	return metrics, ok
}

// httpGet GETs url, with accept as the Accept header if not empty, and
// returns the answer's status and body.
func httpGet(url, accept string) (int, string, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// samples sums the samples of a Prometheus text exposition by series:
// "name{labels}", or "name" for one without labels.
func samples(text string) (map[string]float64, error) {
	sum := map[string]float64{}
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			return nil, fmt.Errorf("%q: not a sample", line)
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			return nil, fmt.Errorf("%q: %v", line, err)
		}
		sum[line[:i]] += v
	}
	return sum, nil
}
