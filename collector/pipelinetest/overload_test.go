package pipelinetest

import (
	"context"
	"encoding/binary"
	"os"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/failhop/failhop/internal/devstack/stack"
)

// twoSpanTraces returns n traces of a root server span of front and its
// client span, numbered from first; in the failed ones the client span is
// marked as the origin of a db_error and the root as passing it on.
func twoSpanTraces(first, n int, failed bool) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "front")
	spans := rs.ScopeSpans().AppendEmpty().Spans()
	now := time.Now()
	for i := first; i < first+n; i++ {
		var tid pcommon.TraceID
		binary.BigEndian.PutUint64(tid[:8], uint64(time.Now().UnixNano()))
		binary.BigEndian.PutUint64(tid[8:], uint64(i+1))
		root, call := spans.AppendEmpty(), spans.AppendEmpty()
		for j, s := range []ptrace.Span{root, call} {
			s.SetTraceID(tid)
			s.SetSpanID(pcommon.SpanID{0: byte(j + 1), 7: byte(i)})
			s.SetStartTimestamp(pcommon.NewTimestampFromTime(now.Add(time.Duration(j) * time.Millisecond)))
			s.SetEndTimestamp(pcommon.NewTimestampFromTime(now.Add(10 * time.Millisecond)))
		}
		root.SetName("GET /checkout")
		root.SetKind(ptrace.SpanKindServer)
		call.SetName("SELECT stock")
		call.SetKind(ptrace.SpanKindClient)
		call.SetParentSpanID(root.SpanID())
		call.Attributes().PutStr("db.system.name", "postgresql")
		if failed {
			root.Status().SetCode(ptrace.StatusCodeError)
			root.Attributes().PutBool("failhop.propagated", true)
			root.Attributes().PutStr("failhop.cause", "db_error")
			call.Status().SetCode(ptrace.StatusCodeError)
			call.Attributes().PutBool("failhop.origin", true)
			call.Attributes().PutStr("failhop.cause", "db_error")
		}
	}
	return td
}

// failedTrace returns twoSpanTraces' failed trace number n, and what
// checkMarked needs to find it.
func failedTrace(n int) (ptrace.Traces, sentTrace) {
	td := twoSpanTraces(n, 1, true)
	s := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	return td, sentTrace{traceID: s.At(0).TraceID().String(), spans: map[string]string{
		"root": s.At(0).SpanID().String(), "db": s.At(1).SpanID().String()}}
}

// otlpClient returns an OTLP/gRPC client of the collector at endpoint.
func otlpClient(t *testing.T, endpoint string) ptraceotlp.GRPCClient {
	t.Helper()
	conn, err := grpc.NewClient(endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return ptraceotlp.NewGRPCClient(conn)
}

// exportRetrying sends td as an OTLP exporter does: again, every 200 ms,
// while the refusal is retryable (UNAVAILABLE) and deadline has not
// passed. It returns how many times td was refused, and the error that
// ended it, if any.
func exportRetrying(client ptraceotlp.GRPCClient, td ptrace.Traces, deadline time.Time) (int, error) {
	for refusals := 0; ; refusals++ {
		_, err := client.Export(context.Background(), ptraceotlp.NewExportRequestFromTraces(td))
		if err == nil || status.Code(err) != codes.Unavailable || time.Now().After(deadline) {
			return refusals, err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestTailSamplingFull sends far more traces than tail sampling may hold
// (FAILHOP_MAX_TRACES=300) within one decision wait, failed ones among
// them: root_wait refuses what would overflow it with a retryable
// UNAVAILABLE, counted and logged, and the senders, retrying as an OTLP
// exporter does, get every trace in. No failed trace is cut: each arrives
// whole, marked at its origin, and none is marked on its root alone.
func TestTailSamplingFull(t *testing.T) {
	j := startJaeger(t)
	dir := t.TempDir()
	ports := freePorts(t)
	run(t, "failhop-collector", stack.CollectorService(root(t), dir, "otelcol.yaml", ports, []string{"JAEGER_OTLP_ENDPOINT=" + j.otlpGRPC,
		"FAILHOP_MAX_TRACES=300", "FAILHOP_DECISION_WAIT=2s", "FAILHOP_SAMPLE_PERCENT=0", "COLLECTOR_METRICS_LEVEL=normal"}))
	client := otlpClient(t, addr(ports.CollectorOTLPGRPC))

	refusals := 0
	var failed []sentTrace
	deadline := time.Now().Add(90 * time.Second)
	for n := 0; n < 2000; n += 50 {
		batch := twoSpanTraces(n, 50, false)
		if n%200 == 0 {
			f, sent := failedTrace(100000 + n)
			failed = append(failed, sent)
			f.ResourceSpans().MoveAndAppendTo(batch.ResourceSpans())
		}
		r, err := exportRetrying(client, batch, deadline)
		if err != nil {
			t.Fatalf("request %d: %v, want a retryable UNAVAILABLE refusal at most", n/50, err)
		}
		refusals += r
	}
	t.Logf("2,000 traces in requests of 50, 10 failed: %d retryable refusals", refusals)
	if refusals == 0 {
		t.Error("no request was refused: the test did not fill tail sampling")
	}
	for _, tr := range failed {
		checkMarked(t, j, "front", tr, "db", "front → postgresql SELECT stock", "db_error")
	}
	log, _ := os.ReadFile(dir + "/collector.log")
	if !strings.Contains(string(log), "root_wait: refusing new traces") {
		t.Errorf("the collector's log does not report the refusals:\n%.3000s", log)
	}
	// Counted, and tail sampling dropped no trace before its decision.
	metrics, ok := scrapeMetrics(ports.CollectorMetrics, "otelcol_processor_root_wait_spans_refused")
	if !ok {
		t.Errorf("no otelcol_processor_root_wait_spans_refused in the collector's metrics:\n%.2000s", metrics)
	}
	for line := range strings.Lines(metrics) {
		if strings.HasPrefix(line, "otelcol_processor_tail_sampling_sampling_trace_dropped_too_early") && !strings.HasSuffix(strings.TrimSpace(line), " 0") {
			t.Errorf("tail sampling dropped traces before their decision: %s", line)
		}
	}
}
