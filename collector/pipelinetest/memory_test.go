package pipelinetest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/failhop/failhop/collector/internal/cgrouptest"
	"github.com/failhop/failhop/internal/devstack/stack"
)

// TestMemoryCgroupBurst runs the shipped otelcol.yaml, unchanged, in a
// 1 GiB memory cgroup, as a container with that limit does, and has three
// senders push 4 MB requests at it for 20 s: spans whose traces' roots
// never come, so tail sampling holds each for the whole decision wait.
// The collector refuses what it cannot hold with a retryable UNAVAILABLE
// and is never killed; failed traces sent before and after the burst
// arrive marked.
func TestMemoryCgroupBurst(t *testing.T) {
	if testing.Short() {
		t.Skip("a 20 s burst")
	}
	g := cgrouptest.New(t, 1<<30)
	j := startJaeger(t)
	dir := t.TempDir()
	ports := freePorts(t)
	svc := stack.CollectorService(root(t), dir, "otelcol.yaml", ports, []string{"JAEGER_OTLP_ENDPOINT=" + j.otlpGRPC})
	svc.Bin, svc.Args = g.Command(svc.Bin, svc.Args...)
	run(t, "failhop-collector", svc)
	client := otlpClient(t, addr(ports.CollectorOTLPGRPC))

	var failed []sentTrace
	send := func(n int) {
		td, sent := failedTrace(n)
		if _, err := exportRetrying(client, td, time.Now().Add(2*time.Minute)); err != nil {
			t.Fatalf("failed trace %d: %v", n, err)
		}
		failed = append(failed, sent)
	}
	for n := range 3 {
		send(n)
	}
	accepted, refused := burst(t, client, 3, 20*time.Second)
	for n := range 3 {
		send(100 + n)
	}
	t.Logf("burst of 4 MB requests from 3 senders in 20 s: %d accepted, %d refused as retryable; the cgroup's peak memory %d MiB of 1,024",
		accepted, refused, g.PeakBytes()>>20)
	if kills := g.OOMKills(); kills > 0 || !svc.Running() {
		t.Fatalf("the collector was killed (%d OOM kills in its cgroup; running: %v)", kills, svc.Running())
	}
	// At the limit the kernel reclaims, and kills if it cannot: a peak
	// there is luck, not headroom (without the soft limit this burst
	// reaches 1,024 MiB here, with it about 860).
	if peak := g.PeakBytes(); peak > 1000<<20 {
		t.Errorf("the cgroup's memory reached %d MiB of its 1,024: the collector did not stay under the limit", peak>>20)
	}
	if refused == 0 {
		t.Error("no request was refused: the burst did not reach the memory limiter")
	}
	for _, tr := range failed {
		checkMarked(t, j, "front", tr, "db", "front → postgresql SELECT stock", "db_error")
	}
	if log, _ := os.ReadFile(svc.LogFile()); !strings.Contains(string(log), `"limit_mib": 819`) {
		t.Errorf("the collector's log does not give the Go runtime's soft limit as 819 MiB (80%% of 1 GiB):\n%.3000s", log)
	}
}

// burst has senders send 4 MB requests for d, each again 100 ms after a
// retryable refusal, and returns how many were accepted and refused. Any
// other error fails t.
func burst(t *testing.T, client ptraceotlp.GRPCClient, senders int, d time.Duration) (accepted, refused int) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	end := time.Now().Add(d)
	for s := range senders {
		wg.Go(func() {
			td := orphanSpans(1000, 4000)
			for n := 0; time.Now().Before(end); n++ {
				renumber(td, s, n)
				_, err := client.Export(context.Background(), ptraceotlp.NewExportRequestFromTraces(td))
				mu.Lock()
				switch {
				case err == nil:
					accepted++
				case status.Code(err) == codes.Unavailable:
					refused++
				default:
					t.Errorf("sender %d: %v, want a retryable UNAVAILABLE refusal at most", s, err)
				}
				mu.Unlock()
				if err != nil {
					time.Sleep(100 * time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	return accepted, refused
}

// orphanSpans returns n successful spans of a service "bulk", with an
// attribute of size bytes each, in traces of 100 spans whose roots never
// come (renumber gives them their trace IDs).
func orphanSpans(n, size int) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "bulk")
	spans := rs.ScopeSpans().AppendEmpty().Spans()
	payload := strings.Repeat("x", size)
	now := pcommon.NewTimestampFromTime(time.Now())
	for i := range n {
		s := spans.AppendEmpty()
		s.SetName("SELECT bulk")
		s.SetKind(ptrace.SpanKindClient)
		s.SetSpanID(pcommon.SpanID{0: 9, 4: byte(i >> 8), 5: byte(i)})
		s.SetParentSpanID(pcommon.SpanID{0: 8})
		s.SetStartTimestamp(now)
		s.SetEndTimestamp(now)
		s.Attributes().PutStr("payload", payload)
	}
	return td
}

// renumber gives the spans of td new trace IDs, 100 spans a trace, unique
// to sender s's request n.
func renumber(td ptrace.Traces, s, n int) {
	spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	for i := range spans.Len() {
		var tid pcommon.TraceID
		copy(tid[:], fmt.Sprintf("b%03d%06d%05d", s, n, i/100))
		spans.At(i).SetTraceID(tid)
	}
}
