package pipelinetest

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/failhop/failhop/internal/devstack/stack"
)

// TestQueueDiskFull puts the collector's persistent queue on a 1 MiB
// tmpfs while Jaeger is down, sends 400 failed traces (800 spans with a
// 3 KB stack trace each: more than the disk holds), then
// fills the disk, as another program sharing it would, and starts Jaeger:
// every span the collector accepted either arrives or is counted as refused
// by the queue (otelcol_exporter_enqueue_failed_spans, logged with the
// count). None that the queue stored vanishes when it is read back from the
// full disk (queue_disk_guard).
func TestQueueDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs (CI runs as root)")
	}
	queue := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", queue).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", queue).Run() })
	ports := freePorts(t)
	dir := t.TempDir()
	svc := stack.CollectorService(root(t), dir, "otelcol.yaml", ports, []string{
		"FAILHOP_STORAGE_DIR=" + queue, "COLLECTOR_METRICS_LEVEL=normal", "FAILHOP_DECISION_WAIT=1s"})
	run(t, "failhop-collector", svc)
	client := otlpClient(t, addr(ports.CollectorOTLPGRPC))

	const sent = 400
	panicStack := strings.Repeat("goroutine 1 [running]:\nmain.handler(...)\n", 25) // 1 KB
	for n := 0; n < sent; n += 10 {
		time.Sleep(200 * time.Millisecond) // a batch each: more than the exporter's consumers hold
		td := twoSpanTraces(n, 10, true)
		spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
		for i := range spans.Len() {
			spans.At(i).Attributes().PutStr("exception.stacktrace", panicStack)
		}
		if _, err := exportRetrying(client, td, time.Now().Add(time.Minute)); err != nil {
			t.Fatalf("request %d: %v", n/10, err)
		}
	}
	time.Sleep(5 * time.Second) // decided, marked, queued or refused
	fill(t, queue)
	j := startJaegerOn(t, ports)
	lost := func() int { return metricSum(t, ports.CollectorMetrics, "otelcol_exporter_enqueue_failed_spans") }
	var arrived int
	eventually(60*time.Second, func() bool {
		arrived = 0 // spans, not traces: a trace that lost a span, or stored one twice, shows
		for _, tr := range j.searchN(t, "front", nil, 1000) {
			arrived += len(tr.Spans)
		}
		return arrived+lost() >= 2*sent
	})
	t.Logf("%d spans accepted with the queue on a 1 MiB disk and Jaeger down: %d arrived once Jaeger was up, %d counted as lost", 2*sent, arrived, lost())
	if arrived+lost() != 2*sent {
		t.Errorf("%d spans neither arrived nor were counted as lost", 2*sent-arrived-lost())
	}
	if n := metricSum(t, ports.CollectorMetrics, "otelcol_queue_disk_guard_items_lost"); n > 0 {
		t.Errorf("%d queue items could not be read back from a full (not broken) disk", n)
	}
	log, _ := os.ReadFile(svc.LogFile())
	if lost() > 0 && !regexp.MustCompile(`\terror\t.*Exporting failed. Rejecting data.*no space left on device.*"rejected_items"`).Match(log) {
		t.Errorf("the collector's log does not report the refused spans with their count:\n%.4000s", log)
	}
	if metricSum(t, ports.CollectorMetrics, "otelcol_queue_disk_guard_saves_put_off") > 0 && !strings.Contains(string(log), "queue_disk_guard: the queue's disk is full") {
		t.Errorf("the collector's log does not say that the queue's disk is full:\n%.4000s", log)
	}
}

// metricSum is the sum of the samples of the metric name on the
// collector's own Prometheus endpoint on port, 0 if it has none.
func metricSum(t *testing.T, port int, name string) int {
	t.Helper()
	metrics, _ := scrapeMetrics(port, "otelcol_")
	all, err := samples(metrics)
	if err != nil {
		t.Fatalf("the collector's metrics: %v", err)
	}
	sum := 0.0
	for series, v := range all {
		if series == name || strings.HasPrefix(series, name+"{") {
			sum += v
		}
	}
	return int(sum)
}

// fill writes a file into dir until its disk is full, as another program
// sharing the disk would.
func fill(t *testing.T, dir string) {
	f, err := os.Create(dir + "/filler")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	block := make([]byte, 4096)
	for {
		if _, err := f.Write(block); err != nil {
			return
		}
	}
}
