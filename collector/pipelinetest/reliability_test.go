package pipelinetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/analyzer"
	"github.com/failhop/failhop/instrument"
	"github.com/failhop/failhop/internal/devstack/stack"
	jaegerapi "github.com/failhop/failhop/jaeger"
)

// The reliability tests of the pipeline: a failhop-instrumented service
// sends its traces through the real collector into the real Jaeger, while
// parts of the pipeline are stopped and started. Each test reports its
// figures (sent, arrived, lost, latencies) with t.Log: run with -v to see
// them (make test does).

// startPipeline starts Jaeger (on memory storage) and the collector on
// free ports.
func startPipeline(t *testing.T, env ...string) *stack.Stack {
	return startPipelineWith(t, stack.Config{CollectorEnv: env})
}

// startPipelineWith starts Jaeger and the collector as cfg says, on free
// ports, in a temporary directory, deciding traces after 1s.
func startPipelineWith(t *testing.T, cfg stack.Config) *stack.Stack {
	t.Helper()
	cfg.Root, cfg.Dir = root(t), t.TempDir()
	cfg.CollectorEnv = append([]string{"FAILHOP_DECISION_WAIT=1s"}, cfg.CollectorEnv...)
	st, err := stack.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("collector's log:\n%s", st.Collector.LogTail(40))
			t.Logf("Jaeger's log:\n%s", st.Jaeger.LogTail(20))
		}
		st.Close()
	})
	return st
}

// service is an instrumented HTTP service: GET /ok answers 200, GET /fail
// records an error and answers 500. Its spans go to the collector.
type service struct {
	srv *httptest.Server
	tp  *sdktrace.TracerProvider
}

func newService(t *testing.T, st *stack.Stack) *service {
	t.Helper()
	exp, err := otlptracegrpc.New(context.Background(), otlptracegrpc.WithEndpoint(st.OTLPGRPCEndpoint), otlptracegrpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(
		// A queue large enough for TestLoad's bursts: the SDK drops spans
		// that find it full.
		sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(100*time.Millisecond), sdktrace.WithMaxQueueSize(20000)),
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName("checkout"), semconv.ServiceVersion("1.0.0"))),
	)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ok", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("GET /fail", func(w http.ResponseWriter, r *http.Request) {
		instrument.RecordError(r.Context(), errors.New("card declined by the fraud rules"))
		w.WriteHeader(http.StatusInternalServerError)
	})
	s := &service{tp: tp, srv: httptest.NewServer(instrument.Handler(mux, "checkout",
		instrument.WithTracerProvider(tp), instrument.WithPropagators(propagation.TraceContext{})))}
	t.Cleanup(func() {
		s.srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tp.Shutdown(ctx)
	})
	return s
}

// call sends one request with a trace ID of our own and returns it, with
// the latency.
func (s *service) call(t *testing.T, path string) (traceID string, latency time.Duration) {
	t.Helper()
	var tid [16]byte
	var sid [8]byte
	rand.Read(tid[:])
	rand.Read(sid[:])
	traceID = hex.EncodeToString(tid[:])
	req, _ := http.NewRequest(http.MethodGet, s.srv.URL+path, nil)
	req.Header.Set("Traceparent", "00-"+traceID+"-"+hex.EncodeToString(sid[:])+"-01")
	start := time.Now()
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	latency = time.Since(start)
	if want := map[string]int{"/ok": 200, "/fail": 500}[path]; resp.StatusCode != want {
		t.Fatalf("%s: status %d, want %d", path, resp.StatusCode, want)
	}
	return traceID, latency
}

// flush pushes the service's queued spans to the collector, waiting at most
// timeout (the exporter may be between retries).
func (s *service) flush(t *testing.T, timeout time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := s.tp.ForceFlush(ctx); err != nil {
		t.Logf("flush: %v", err)
	}
}

// arrived waits until Jaeger has every trace of ids with its root cause
// marked, or the timeout passes, and returns the IDs that did not arrive.
func arrived(t *testing.T, st *stack.Stack, ids []string, timeout time.Duration) (missing []string) {
	t.Helper()
	c := jaegerapi.New(st.JaegerURL)
	deadline := time.Now().Add(timeout)
	pending := slices.Clone(ids)
	for {
		var still []string
		for _, id := range pending {
			tr, err := c.Trace(context.Background(), id)
			if err != nil || !slices.ContainsFunc(tr.Spans, func(s *analyzer.Span) bool { return s.Bool("failhop.root_cause") }) {
				still = append(still, id)
			}
		}
		pending = still
		if len(pending) == 0 || time.Now().After(deadline) {
			return pending
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[int(math.Ceil(p*float64(len(s))))-1]
}

// TestCollectorDown: the collector is down while the service serves
// requests. The service keeps answering, its memory stays bounded (the
// SDK's queue drops spans rather than grow), and traces flow again once the
// collector is back.
func TestCollectorDown(t *testing.T) {
	st := startPipeline(t)
	svc := newService(t, st)
	const n = 2000

	measure := func() []time.Duration {
		var ls []time.Duration
		for i := range n {
			path := "/ok"
			if i%10 == 0 {
				path = "/fail"
			}
			_, l := svc.call(t, path)
			ls = append(ls, l)
		}
		return ls
	}
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}

	up := measure()
	before := heap()
	st.Collector.Stop()
	down := measure()
	after := heap()
	t.Logf("latency with the collector up:   p50 %v, p99 %v (%d requests)", percentile(up, .5), percentile(up, .99), n)
	t.Logf("latency with the collector down: p50 %v, p99 %v (%d requests)", percentile(down, .5), percentile(down, .99), n)
	t.Logf("heap after %d requests with the collector down: %d KiB (before: %d KiB)", n, after>>10, before>>10)
	// The SDK's batch processor holds at most 2048 spans; a few MiB.
	if after > before+32<<20 {
		t.Errorf("heap grew by %d MiB while the collector was down: spans are not dropped", (after-before)>>20)
	}

	if err := st.Collector.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The SDK's exporter retries with backoff; once it delivers again, the
	// queue (spans of the outage, as many as it could hold) drains.
	back := time.Now()
	svc.flush(t, 90*time.Second)
	t.Logf("the service's queue drained %v after the collector came back", time.Since(back).Round(100*time.Millisecond))
	var ids []string
	for range 20 {
		id, _ := svc.call(t, "/fail")
		ids = append(ids, id)
	}
	svc.flush(t, 10*time.Second)
	missing := arrived(t, st, ids, 30*time.Second)
	t.Logf("after the collector came back: %d error traces sent, %d arrived marked, %d lost", len(ids), len(ids)-len(missing), len(missing))
	if len(missing) > 0 {
		t.Errorf("traces sent after the collector came back did not arrive: %v", missing)
	}
}

// TestJaegerRestart: Jaeger is down for a while, then restarted. With the
// collector's persistent queue no error trace sent meanwhile is lost. On
// Badger, the traces stored before the restart are still there too.
func TestJaegerRestart(t *testing.T) {
	for _, store := range []struct {
		name     string
		overlays []string
	}{
		{"memory", nil},
		{"badger", []string{"jaeger-badger.yaml"}},
	} {
		t.Run(store.name, func(t *testing.T) {
			st := startPipelineWith(t, stack.Config{JaegerOverlays: store.overlays})
			svc := newService(t, st)
			var before []string
			for range 10 {
				id, _ := svc.call(t, "/fail")
				before = append(before, id)
			}
			svc.flush(t, 10*time.Second)
			if missing := arrived(t, st, before, 30*time.Second); len(missing) > 0 {
				t.Fatalf("traces sent before the outage did not arrive: %v", missing)
			}

			st.Jaeger.Stop()
			var during []string
			for range 50 {
				id, _ := svc.call(t, "/fail")
				during = append(during, id)
			}
			svc.flush(t, 10*time.Second)
			time.Sleep(3 * time.Second) // past the decision: the traces wait in the export queue
			if err := st.Jaeger.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			missing := arrived(t, st, during, 60*time.Second)
			t.Logf("%s: Jaeger down then restarted: %d error traces sent meanwhile, %d arrived marked, %d lost",
				store.name, len(during), len(during)-len(missing), len(missing))
			if len(missing) > 0 {
				t.Errorf("lost error traces: %v", missing)
			}
			if store.name == "badger" {
				if lost := arrived(t, st, before, 5*time.Second); len(lost) > 0 {
					t.Errorf("Badger lost %d traces stored before the restart", len(lost))
				}
			}
		})
	}
}

// TestJaegerKilled: what Jaeger acknowledged is stored, even if it is
// killed (SIGKILL, as a crash or the OOM killer would) right after: an
// OTLP exporter, as the collector's, sends batches of traces to Jaeger on
// Badger one by one, and Jaeger is killed the moment a batch is
// acknowledged; restarted, it has every acknowledged trace. (With a batch
// processor in front of its storage, the last batch acknowledged was
// still in memory, and lost.)
func TestJaegerKilled(t *testing.T) {
	dir := t.TempDir()
	ports := freePorts(t)
	jg := stack.JaegerService(root(t), dir, ports, "jaeger-badger.yaml")
	run(t, "jaeger", jg)
	exp, err := otlptracegrpc.New(context.Background(), otlptracegrpc.WithEndpoint(addr(ports.JaegerOTLPGRPC)), otlptracegrpc.WithInsecure(),
		otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: false}))
	if err != nil {
		t.Fatal(err)
	}
	defer exp.Shutdown(context.Background())
	tracer := sdktrace.NewTracerProvider(sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName("checkout")))).Tracer("t")
	var acked []string
	for round := range 5 {
		// A batch of 20 traces, acknowledged, then the kill.
		var batch []sdktrace.ReadOnlySpan
		for range 20 {
			_, sp := tracer.Start(context.Background(), "GET /checkout", trace.WithSpanKind(trace.SpanKindServer))
			sp.End()
			batch = append(batch, sp.(sdktrace.ReadOnlySpan))
		}
		if err := exp.ExportSpans(context.Background(), batch); err != nil {
			t.Fatalf("round %d: export: %v", round, err)
		}
		for _, sp := range batch {
			acked = append(acked, sp.SpanContext().TraceID().String())
		}
		jg.Kill()
		if err := jg.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	c := jaegerapi.New("http://" + addr(ports.JaegerQuery))
	var lost []string
	for _, id := range acked {
		if _, err := c.Trace(context.Background(), id); err != nil {
			lost = append(lost, id)
		}
	}
	t.Logf("Jaeger (Badger) killed right after each of 5 acknowledged batches: %d traces acknowledged, %d lost", len(acked), len(lost))
	if len(lost) > 0 {
		t.Errorf("Jaeger lost %d acknowledged traces, such as %v", len(lost), lost[:min(len(lost), 3)])
	}
}

// TestCollectorRestartKeepsQueue: spans wait in the collector's persistent
// queue (Jaeger is down) when the collector is restarted; nothing queued is
// lost.
func TestCollectorRestartKeepsQueue(t *testing.T) {
	st := startPipeline(t)
	svc := newService(t, st)
	st.Jaeger.Stop()
	var ids []string
	for range 50 {
		id, _ := svc.call(t, "/fail")
		ids = append(ids, id)
	}
	svc.flush(t, 10*time.Second)
	time.Sleep(3 * time.Second) // decided and queued on disk
	st.Collector.Stop()
	if err := st.Jaeger.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := st.Collector.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	missing := arrived(t, st, ids, 60*time.Second)
	t.Logf("collector restarted with a full queue: %d error traces queued, %d arrived marked, %d lost", len(ids), len(ids)-len(missing), len(missing))
	if len(missing) > 0 {
		t.Errorf("queued traces lost across the collector's restart: %v", missing)
	}
}

// TestLoad sends sustained traffic (bounded in count) through the whole
// pipeline: every error trace arrives with its root cause marked, and the
// share of successful traces kept matches the configured ratio.
func TestLoad(t *testing.T) {
	const (
		requests = 10000
		workers  = 8
		percent  = 30
	)
	st := startPipeline(t, fmt.Sprintf("FAILHOP_SAMPLE_PERCENT=%d", percent))
	svc := newService(t, st)

	var mu sync.Mutex
	var failedIDs, okIDs []string
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < requests; i += workers {
				path := "/ok"
				if i%10 == 0 {
					path = "/fail"
				}
				id, _ := svc.call(t, path)
				mu.Lock()
				if path == "/fail" {
					failedIDs = append(failedIDs, id)
				} else {
					okIDs = append(okIDs, id)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	svc.flush(t, 10*time.Second)

	missing := arrived(t, st, failedIDs, 60*time.Second)
	c := jaegerapi.New(st.JaegerURL)
	kept := 0
	for _, id := range okIDs {
		if _, err := c.Trace(context.Background(), id); err == nil {
			kept++
		}
	}
	share := float64(kept) / float64(len(okIDs))
	// Binomial: the share of n kept with probability p is within 5
	// standard deviations but by a chance of one in a million.
	p := float64(percent) / 100
	sd := math.Sqrt(p * (1 - p) / float64(len(okIDs)))
	t.Logf("load: %d requests in %v (%.0f/s) by %d workers", requests, elapsed.Round(time.Millisecond), float64(requests)/elapsed.Seconds(), workers)
	t.Logf("error traces: %d sent, %d arrived marked, %d lost", len(failedIDs), len(failedIDs)-len(missing), len(missing))
	t.Logf("successful traces: %d sent, %d kept: %.1f%% (configured %d%%, ±%.1f%% at 5σ)", len(okIDs), kept, 100*share, percent, 500*sd)
	if len(missing) > 0 {
		t.Errorf("%d error traces lost or unmarked: %v", len(missing), missing[:min(len(missing), 5)])
	}
	if math.Abs(share-p) > 5*sd {
		t.Errorf("kept %.1f%% of the successful traces, want %d%% ± %.1f%%", 100*share, percent, 500*sd)
	}
}

// TestMalformedOTLP sends garbage and oversized payloads to the collector:
// they are refused with a clear status, and other traffic goes on.
func TestMalformedOTLP(t *testing.T) {
	st := startPipeline(t)
	svc := newService(t, st)
	url := "http://" + st.OTLPHTTPEndpoint + "/v1/traces"
	tests := []struct {
		name        string
		contentType string
		body        []byte
		want        []int
	}{
		{"garbage protobuf", "application/x-protobuf", []byte("\xff\xff\xff not a protobuf"), []int{http.StatusBadRequest}},
		{"garbage JSON", "application/json", []byte(`{"resourceSpans": [{"scopeSpans": "nope"}]}`), []int{http.StatusBadRequest}},
		{"unknown content type", "text/plain", []byte("hello"), []int{http.StatusUnsupportedMediaType}},
		{"oversized", "application/x-protobuf", bytes.Repeat([]byte{0}, 17<<20), []int{http.StatusRequestEntityTooLarge, http.StatusBadRequest}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Post(url, tt.contentType, bytes.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			msg, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
			resp.Body.Close()
			t.Logf("%s: %s %q", tt.name, resp.Status, msg)
			if !slices.Contains(tt.want, resp.StatusCode) {
				t.Errorf("status %d, want one of %v", resp.StatusCode, tt.want)
			}
		})
	}
	id, _ := svc.call(t, "/fail")
	svc.flush(t, 10*time.Second)
	if missing := arrived(t, st, []string{id}, 30*time.Second); len(missing) > 0 {
		t.Errorf("a valid error trace sent after the bad payloads did not arrive")
	}
}

// TestProcessorMetrics: with the collector's own metrics on, as
// docs/pipeline.md says, its Prometheus endpoint counts what the failhop
// processor did.
func TestProcessorMetrics(t *testing.T) {
	free, err := stack.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	st := startPipeline(t, "COLLECTOR_METRICS_LEVEL=basic", fmt.Sprintf("COLLECTOR_METRICS_PORT=%d", free[0]))
	svc := newService(t, st)
	id, _ := svc.call(t, "/fail")
	svc.flush(t, 10*time.Second)
	if missing := arrived(t, st, []string{id}, 30*time.Second); len(missing) > 0 {
		t.Fatal("the failed trace did not arrive marked")
	}
	metrics, ok := scrapeMetrics(free[0], "otelcol_processor_failhop_traces_marked")
	if !ok {
		t.Fatalf("no failhop processor metrics on the collector's endpoint:\n%.3000s", metrics)
	}
	for line := range strings.Lines(metrics) {
		if strings.HasPrefix(line, "otelcol_processor_failhop_") {
			t.Logf("%s", strings.TrimSpace(line))
		}
	}
}
