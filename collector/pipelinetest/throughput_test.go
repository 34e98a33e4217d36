package pipelinetest

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// TestThroughput measures the collector's throughput (spans/s out of the
// pipeline) with collector-config/otelcol.yaml as shipped, without the
// failhop processor (the same file with failhop taken out of the
// pipeline) and without the failure metrics (the same file with
// failhop_sampler's metrics endpoint empty), on traffic where every trace failed (every span goes through
// the analyzer: the worst case) and where none did (only the pre-filter
// runs). Every trace is kept (FAILHOP_SAMPLE_PERCENT=100) and exported to
// a local OTLP sink that counts spans. It is a measurement, not a check:
//
//	FAILHOP_LOADTEST=1 go test -run TestThroughput -v ./pipelinetest
//
// FAILHOP_LOADTEST_TRACES sets how many traces of 20 spans each run sends
// (default 30000), FAILHOP_LOADTEST_ROUNDS how many times each of the six
// runs is repeated (default 2). The load generator, the collector and the sink share
// the machine's cores.
func TestThroughput(t *testing.T) {
	if os.Getenv("FAILHOP_LOADTEST") == "" {
		t.Skip("a measurement: set FAILHOP_LOADTEST=1 to run it")
	}
	traces := 30000
	if v := os.Getenv("FAILHOP_LOADTEST_TRACES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatal(err)
		}
		traces = n
	}
	with := filepath.Join(root(t), "collector-config", "otelcol.yaml")
	data, err := os.ReadFile(with)
	if err != nil {
		t.Fatal(err)
	}
	const pipeline = "processors: [memory_limiter, root_wait, tail_sampling, failhop, batch]"
	if !strings.Contains(string(data), pipeline) {
		t.Fatalf("otelcol.yaml has no %q", pipeline)
	}
	without := filepath.Join(t.TempDir(), "otelcol-without-failhop.yaml")
	if err := os.WriteFile(without, []byte(strings.Replace(string(data), pipeline, "processors: [memory_limiter, root_wait, tail_sampling, batch]", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	// The failure metrics, turned off for the third run.
	const counting = "    metrics:\n      endpoint: \"${env:FAILHOP_METRICS_ENDPOINT:-127.0.0.1:8889}\"\n"
	if !strings.Contains(string(data), counting) {
		t.Fatalf("otelcol.yaml has no %q", counting)
	}
	withoutMetrics := filepath.Join(t.TempDir(), "otelcol-without-metrics.yaml")
	if err := os.WriteFile(withoutMetrics, []byte(strings.Replace(string(data), counting, "    metrics:\n      endpoint: \"\"\n", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	rounds := 2
	if v := os.Getenv("FAILHOP_LOADTEST_ROUNDS"); v != "" {
		if rounds, err = strconv.Atoi(v); err != nil {
			t.Fatal(err)
		}
	}
	// Rounds alternate the two configurations, so that a slow spell of a
	// shared machine does not favour one.
	results := map[string][]float64{}
	var order []string
	for round := 1; round <= rounds; round++ {
		for _, failed := range []bool{true, false} {
			for _, cfg := range []struct{ name, path string }{{"as shipped", with}, {"without failhop", without}, {"without metrics", withoutMetrics}} {
				traffic := "all traces failed"
				if !failed {
					traffic = "no trace failed"
				}
				key := fmt.Sprintf("%-16s %-18s", cfg.name, traffic)
				if round == 1 {
					order = append(order, key)
				}
				rate := measure(t, cfg.name+", "+traffic, cfg.path, traces, failed)
				results[key] = append(results[key], rate)
				t.Logf("round %d: %s %8.0f spans/s", round, key, rate)
			}
		}
	}
	for _, key := range order {
		rs := results[key]
		slices.Sort(rs)
		t.Logf("median of %d: %s %8.0f spans/s (min %.0f, max %.0f)", len(rs), key, rs[len(rs)/2], rs[0], rs[len(rs)-1])
	}
}

const decisionWait = time.Second

// sink is an OTLP/gRPC receiver that counts spans.
type sink struct {
	ptraceotlp.UnimplementedGRPCServer
	spans atomic.Int64
}

func (s *sink) Export(_ context.Context, req ptraceotlp.ExportRequest) (ptraceotlp.ExportResponse, error) {
	s.spans.Add(int64(req.Traces().SpanCount()))
	return ptraceotlp.NewExportResponse(), nil
}

// measure runs one collector, sends the traces and returns the rate at
// which spans went through it: all spans over the time from the first
// request to the last span at the sink, less decision_wait.
func measure(t *testing.T, name, config string, traces int, failed bool) float64 {
	var rate float64
	t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := grpc.NewServer()
		sk := &sink{}
		ptraceotlp.RegisterGRPCServer(srv, sk)
		go srv.Serve(l)
		defer srv.Stop()

		c := startCollector(t, "failhop-collector", config, "JAEGER_OTLP_ENDPOINT="+l.Addr().String(),
			"FAILHOP_DECISION_WAIT="+decisionWait.String(), "FAILHOP_SAMPLE_PERCENT=100", "COLLECTOR_LOG_LEVEL=warn")
		conn, err := grpc.NewClient(c.otlpGRPC, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		client := ptraceotlp.NewGRPCClient(conn)

		const perRequest = 10
		tmpl := loadTraces(perRequest, failed)
		spansPerTrace := tmpl.SpanCount() / perRequest
		total := int64(traces / perRequest * perRequest * spansPerTrace)

		start := time.Now()
		var next atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for range 4 {
			wg.Go(func() {
				for {
					i := next.Add(1) - 1
					if i >= int64(traces/perRequest) {
						return
					}
					td := ptrace.NewTraces()
					tmpl.CopyTo(td)
					setTraceIDs(td, uint64(i)*perRequest, spansPerTrace)
					if _, err := client.Export(context.Background(), ptraceotlp.NewExportRequestFromTraces(td)); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		var end time.Time
		deadline := time.Now().Add(5 * time.Minute)
		for time.Now().Before(deadline) {
			if sk.spans.Load() >= total {
				end = time.Now()
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("export: %v", err)
		}
		if end.IsZero() {
			t.Fatalf("the sink got %d of %d spans in 5 minutes", sk.spans.Load(), total)
		}
		// Every trace waits decision_wait in tail sampling before it can
		// leave: that second is latency, not work.
		rate = float64(total) / (end.Sub(start) - decisionWait).Seconds()
	})
	return rate
}

// setTraceIDs gives the traces of td (spansPerTrace consecutive spans
// each, in order) the IDs first, first+1...
func setTraceIDs(td ptrace.Traces, first uint64, spansPerTrace int) {
	n := 0
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				var id pcommon.TraceID
				id[0] = 0xfa
				binary.BigEndian.PutUint64(id[8:], first+uint64(n/spansPerTrace))
				spans.At(k).SetTraceID(id)
				n++
			}
		}
	}
}

// loadTraces builds n traces as three services send them, in one
// ResourceSpans per trace and service: gateway → orders (12 queries) →
// inventory (a query), payments; 20 spans with the usual HTTP and SQL
// attributes. Failed ones end in inventory's query failing, with an
// exception event, and every span up to the root is an error.
func loadTraces(n int, failed bool) ptrace.Traces {
	td := ptrace.NewTraces()
	t0 := time.Now()
	stack := strings.Repeat("main.handler(...)\n\t/app/handler.go:42 +0x1d\n", 20)
	for tr := range n {
		sid := 0
		newID := func() pcommon.SpanID {
			sid++
			var id pcommon.SpanID
			binary.BigEndian.PutUint32(id[:4], uint32(tr+1))
			binary.BigEndian.PutUint32(id[4:], uint32(sid))
			return id
		}
		spansOf := map[string]ptrace.SpanSlice{}
		add := func(svc, name string, kind ptrace.SpanKind, parent pcommon.SpanID, start, end int, bad bool, attrs map[string]any) pcommon.SpanID {
			ss, ok := spansOf[svc]
			if !ok {
				rs := td.ResourceSpans().AppendEmpty()
				rs.Resource().Attributes().PutStr("service.name", svc)
				rs.Resource().Attributes().PutStr("service.version", "1.4.2")
				rs.Resource().Attributes().PutStr("telemetry.sdk.language", "go")
				sc := rs.ScopeSpans().AppendEmpty()
				sc.Scope().SetName("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp")
				ss = sc.Spans()
				spansOf[svc] = ss
			}
			s := ss.AppendEmpty()
			id := newID()
			s.SetSpanID(id)
			s.SetParentSpanID(parent)
			s.SetName(name)
			s.SetKind(kind)
			s.SetStartTimestamp(pcommon.NewTimestampFromTime(t0.Add(time.Duration(start) * time.Millisecond)))
			s.SetEndTimestamp(pcommon.NewTimestampFromTime(t0.Add(time.Duration(end) * time.Millisecond)))
			if bad && failed {
				s.Status().SetCode(ptrace.StatusCodeError)
			}
			if err := s.Attributes().FromRaw(attrs); err != nil {
				panic(err)
			}
			return id
		}
		code := int64(200)
		if failed {
			code = 500
		}
		http := func(route string, code int64) map[string]any {
			return map[string]any{
				"http.request.method": "GET", "http.route": route, "http.response.status_code": code,
				"url.path": route, "url.scheme": "http", "server.address": "orders", "server.port": int64(8080),
				"network.protocol.version": "1.1", "user_agent.original": "Go-http-client/1.1", "client.address": "10.0.0.7",
			}
		}
		sql := func(system, table string) map[string]any {
			return map[string]any{"db.system.name": system, "db.operation.name": "SELECT", "db.query.text": "SELECT id, qty FROM " + table + " WHERE id = ?"}
		}
		var none pcommon.SpanID
		root := add("gateway", "GET /checkout", ptrace.SpanKindServer, none, 0, 90, true, http("/checkout", code))
		gc := add("gateway", "GET", ptrace.SpanKindClient, root, 1, 89, true, http("/orders", code))
		osp := add("orders", "GET /orders", ptrace.SpanKindServer, gc, 2, 88, true, http("/orders", code))
		for i := range 12 {
			add("orders", "SELECT orders", ptrace.SpanKindClient, osp, 3+i, 4+i, false, sql("postgresql", "orders"))
		}
		ic := add("orders", "GET", ptrace.SpanKindClient, osp, 20, 60, true, http("/stock", code))
		is := add("inventory", "GET /stock", ptrace.SpanKindServer, ic, 21, 59, true, http("/stock", code))
		add("inventory", "SELECT stock", ptrace.SpanKindClient, is, 22, 25, true, sql("sqlite", "stock"))
		pc := add("orders", "POST", ptrace.SpanKindClient, osp, 61, 80, false, http("/charge", 200))
		add("payments", "POST /charge", ptrace.SpanKindServer, pc, 62, 79, false, http("/charge", 200))
		if failed {
			q := spansOf["inventory"].At(1)
			q.Attributes().PutBool("failhop.origin", true)
			q.Attributes().PutStr("failhop.cause", "db_error")
			e := q.Events().AppendEmpty()
			e.SetName("exception")
			e.Attributes().PutStr("exception.type", "*sqlite.Error")
			e.Attributes().PutStr("exception.message", "no such table: stock")
			e.Attributes().PutStr("exception.stacktrace", stack)
		}
	}
	// setTraceIDs needs each trace's spans together: they are, since each
	// trace opened its own ResourceSpans above.
	if c := td.SpanCount(); c != n*20 {
		panic(fmt.Sprintf("%d spans, want %d", c, n*20))
	}
	return td
}
