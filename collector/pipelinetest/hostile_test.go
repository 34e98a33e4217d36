package pipelinetest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/failhop/failhop/analyzer"
	"github.com/failhop/failhop/collector/internal/deepotlp"
	"github.com/failhop/failhop/collector/internal/ptracetest"
	"github.com/failhop/failhop/internal/devstack/tracetest"
)

// rawCodec sends bytes as they are: a sender that does not build its
// requests with pdata (which could not marshal them either).
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return v.([]byte), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*(v.(*[]byte)) = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

// TestDeepValues sends, over both protocols, the ~10 MB request whose
// attribute value nests arrays 1.1 million deep (it overflowed the stack
// of pdata's unmarshalling and killed the collector): the shipped
// collector refuses it, stays up, keeps the failed trace it was holding
// for tail sampling, and goes on marking.
func TestDeepValues(t *testing.T) {
	st := startPipeline(t)
	svc := newService(t, st)
	held, _ := svc.call(t, "/fail")
	svc.flush(t, 10*time.Second) // in tail sampling's hands, for 1s

	conn, err := grpc.NewClient(st.OTLPGRPCEndpoint, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{}), grpc.MaxCallSendMsgSize(16<<20)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, p := range []struct {
		name        string
		contentType string
		body        []byte
	}{
		{"arrays 1.1M deep", "application/x-protobuf", deepotlp.Protobuf(1_100_000, false)},
		{"maps 900k deep", "application/x-protobuf", deepotlp.Protobuf(900_000, true)},
		{"JSON arrays 500k deep", "application/json", deepotlp.JSON(500_000)},
	} {
		resp, err := http.Post("http://"+st.OTLPHTTPEndpoint+"/v1/traces", p.contentType, bytes.NewReader(p.body))
		if err != nil {
			t.Fatalf("%s over OTLP/HTTP: %v", p.name, err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Logf("%s (%d bytes) over OTLP/HTTP: %s %s", p.name, len(p.body), resp.Status, bytes.TrimSpace(msg))
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(msg), "nest more than 100 levels") {
			t.Errorf("%s over OTLP/HTTP: status %d %q, want 400 naming the depth", p.name, resp.StatusCode, msg)
		}
		if p.contentType != "application/x-protobuf" {
			continue
		}
		var out []byte
		err = conn.Invoke(context.Background(), "/opentelemetry.proto.collector.trace.v1.TraceService/Export", p.body, &out)
		t.Logf("%s over OTLP/gRPC: %v", p.name, err)
		if s := status.Convert(err); err == nil || !strings.Contains(s.Message(), "nest more than 100 levels") {
			t.Errorf("%s over OTLP/gRPC: %v, want an error naming the depth", p.name, err)
		}
	}

	if !st.Collector.Running() {
		t.Fatalf("the collector died:\n%s", st.Collector.LogTail(20))
	}
	after, _ := svc.call(t, "/fail")
	svc.flush(t, 10*time.Second)
	if missing := arrived(t, st, []string{held, after}, 30*time.Second); len(missing) > 0 {
		t.Errorf("traces %v did not reach Jaeger marked (the one held during the attack: %s)", missing, held)
	}
}

// peakRSS returns a process's peak resident memory (VmHWM), in MiB.
func peakRSS(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for line := range strings.Lines(string(b)) {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.Atoi(f[1])
			return kb >> 10
		}
	}
	t.Fatalf("no VmHWM in /proc/%d/status", pid)
	return 0
}

// TestHugeTraces sends a 50,000-span failing chain and a 50,000-span
// failing fan-out (one OTLP request each, 4-6 MB) through the built
// collector, which once took 9.9 GB and 25 s of processor time for them:
// its memory stays bounded, both arrive in Jaeger marked, and so does an
// ordinary failed trace sent meanwhile.
func TestHugeTraces(t *testing.T) {
	st := startPipeline(t)
	svc := newService(t, st)
	conn, err := grpc.NewClient(st.OTLPGRPCEndpoint, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallSendMsgSize(16<<20)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := ptraceotlp.NewGRPCClient(conn)
	before := peakRSS(t, st.Collector.PID())
	ids := []string{}
	for i, tr := range []*analyzer.Trace{tracetest.Chain(50_000), tracetest.FanOut(50_000)} {
		tr.TraceID = fmt.Sprintf("%032x", 0xfa11ed00+i) // one trace ID per shape
		req := ptraceotlp.NewExportRequestFromTraces(ptracetest.FromAnalyzer(tr))
		if _, err := client.Export(context.Background(), req); err != nil {
			t.Fatalf("exporting %d spans: %v", len(tr.Spans), err)
		}
		ids = append(ids, tr.TraceID)
	}
	ordinary, _ := svc.call(t, "/fail")
	svc.flush(t, 10*time.Second)
	if missing := arrived(t, st, append(ids, ordinary), 90*time.Second); len(missing) > 0 {
		t.Errorf("traces %v did not reach Jaeger marked", missing)
	}
	after := peakRSS(t, st.Collector.PID())
	t.Logf("collector peak RSS: %d MiB before, %d MiB after the two 50,000-span traces", before, after)
	if after > 1024 {
		t.Errorf("the collector's memory peaked at %d MiB, want under 1 GiB", after)
	}
	if !st.Collector.Running() {
		t.Fatal("the collector died")
	}
}
