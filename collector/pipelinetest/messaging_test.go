package pipelinetest

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/failhop/failhop/analyzer"
	"github.com/failhop/failhop/internal/devstack/stack"
)

// amqpURL returns the AMQP URL of the test's RabbitMQ:
// FAILHOP_TEST_AMQP_URL (make test sets it), else the private broker of
// scripts/rabbitmq.sh, which it installs and starts when needed, and
// stops after the test when it started it.
func amqpURL(t *testing.T) string {
	t.Helper()
	if u := os.Getenv("FAILHOP_TEST_AMQP_URL"); u != "" {
		return u
	}
	script := filepath.Join(root(t), "scripts", "rabbitmq.sh")
	var log strings.Builder
	cmd := exec.Command(script)
	cmd.Stderr = &log
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("scripts/rabbitmq.sh: %v\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), "already running") {
		t.Cleanup(func() {
			if out, err := exec.Command(script, "stop").CombinedOutput(); err != nil {
				t.Errorf("scripts/rabbitmq.sh stop: %v\n%s", err, out)
			}
		})
	}
	return strings.TrimSpace(string(out))
}

// TestAMQP runs three OpenTelemetry JS services that talk over a real
// RabbitMQ (testdata/otel-js: queuefront.js, and worker.js as pricer and
// fulfil, traced by the amqplib instrumentation) against the shipped
// single-node config, and checks what the collector marks and what
// failhop says of it:
//   - request-reply, the consumer throwing: pricer's consumer span, which
//     ran inside queuefront's request and replied before it answered 502,
//     is hop 1 and the one span marked;
//   - request-reply with a fallback that answers 200: nothing marked;
//   - fire-and-forget, the consumer failing: the request (202) is not
//     failed and not marked, the unit of work is marked at its origin with
//     its failing hop on its entry span, and `failhop errors --service
//     fulfil` counts it.
func TestAMQP(t *testing.T) {
	dir := filepath.Join(root(t), "collector", "pipelinetest", "testdata", "otel-js")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "amqplib")); err != nil {
		t.Fatalf("the Node packages are not installed: run `make node-packages` (make test does)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed")
	}
	broker := amqpURL(t)
	cli := builtBinary(t, "failhop", "make bin/failhop")
	p := startAppPipeline(t)
	ports, err := stack.FreePorts(3)
	if err != nil {
		t.Fatal(err)
	}
	service := func(name, script string, port int, env ...string) *stack.Service {
		env = append(env, "OTEL_SERVICE_NAME="+name, "PORT="+strconv.Itoa(port), "AMQP_URL="+broker,
			"OTEL_EXPORTER_OTLP_ENDPOINT=http://"+p.otlpHTTP, "OTEL_BSP_SCHEDULE_DELAY=200")
		return stack.NewService(stack.Process{
			Name: name, Bin: node, Args: []string{"--require", filepath.Join(dir, "tracing.js"), filepath.Join(dir, script)},
			Env: append(os.Environ(), env...), LogFile: filepath.Join(t.TempDir(), name+".log"),
			Ready: []string{"http://127.0.0.1:" + strconv.Itoa(port) + "/healthz"},
		})
	}
	run(t, "pricer", service("pricer", "worker.js", ports[1], "WORKER=pricer"))
	run(t, "fulfil", service("fulfil", "worker.js", ports[2], "WORKER=fulfil"))
	run(t, "queuefront", service("queuefront", "queuefront.js", ports[0]))
	front := "http://127.0.0.1:" + strconv.Itoa(ports[0])

	failhop := func(t *testing.T, v any, args ...string) {
		t.Helper()
		out, err := exec.Command(cli, append(args, "--json", "--jaeger", p.jaegerURL)...).Output()
		if err != nil {
			t.Fatalf("failhop %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		if err := json.Unmarshal(out, v); err != nil {
			t.Fatalf("failhop %s --json: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	entry := func(name, status string) func(*analyzer.Span) bool {
		return func(root *analyzer.Span) bool {
			return root.Name == name && root.Attr("http.response.status_code") == status
		}
	}

	t.Run("request-reply, consumer throws", func(t *testing.T) {
		since := time.Now()
		if got := get(t, front+"/price?mode=throw"); got != http.StatusBadGateway {
			t.Fatalf("price answered %d, want 502", got)
		}
		tr := p.findTrace(t, "queuefront", since, entry("GET /price", "502"))
		p.save(t, tr.TraceID, "amqp-rpc-consumer-throws")
		m := marked(tr)
		if len(m) != 1 || m[0].Service != "pricer" || m[0].Kind != analyzer.KindConsumer {
			t.Fatalf("failhop.root_cause=true on %d spans, want pricer's consumer span:\n%s", len(m), dump(tr))
		}
		var r analyzer.Report
		failhop(t, &r, "why", tr.TraceID)
		if !r.Failed || len(r.Hops) == 0 || r.Hops[0].SpanID != m[0].SpanID || !strings.Contains(r.Hops[0].Message, "no tariff") {
			t.Errorf("failhop why: %+v, want hop 1 at pricer's consumer span, with its exception", r)
		}
	})

	t.Run("request-reply, fallback answers 200", func(t *testing.T) {
		since := time.Now()
		if got := get(t, front+"/price?mode=fallback"); got != http.StatusOK {
			t.Fatalf("price answered %d, want 200", got)
		}
		tr := p.findTrace(t, "queuefront", since, entry("GET /price", "200"))
		p.save(t, tr.TraceID, "amqp-rpc-fallback")
		if m := marked(tr); len(m) != 0 {
			t.Errorf("%d spans of a request that survived marked failhop.root_cause=true:\n%s", len(m), dump(tr))
		}
	})

	t.Run("fire-and-forget, consumer fails", func(t *testing.T) {
		since := time.Now()
		resp, err := http.Post(front+"/orders?item=13", "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("orders answered %d, want 202", resp.StatusCode)
		}
		tr := p.findTrace(t, "queuefront", since, entry("POST /orders", "202"))
		p.save(t, tr.TraceID, "amqp-consumer-fails")
		m := marked(tr)
		if len(m) != 1 || m[0].Service != "fulfil" {
			t.Fatalf("failhop.root_cause=true on %d spans, want one of fulfil's:\n%s", len(m), dump(tr))
		}
		var r analyzer.Report
		failhop(t, &r, "why", tr.TraceID)
		if r.Failed {
			t.Errorf("failhop why calls the request that published the order failed: %+v", r)
		}
		if len(r.Units) != 1 || !r.Units[0].Failed || len(r.Units[0].Hops) == 0 || r.Units[0].Hops[0].SpanID != m[0].SpanID {
			t.Fatalf("failhop why: units %+v, want fulfil's failed unit with its hop at the marked span", r.Units)
		}
		for _, s := range tr.Spans {
			switch {
			case s.SpanID == r.Root.SpanID && s.Attr("failhop.failing_hop") != "":
				t.Errorf("the request's root is marked failing hop %q", s.Attr("failhop.failing_hop"))
			case s.SpanID == r.Units[0].Entry.SpanID && s.Attr("failhop.failing_hop") != r.Units[0].Hops[0].Description:
				t.Errorf("the unit's entry span: failhop.failing_hop = %q, want %q", s.Attr("failhop.failing_hop"), r.Units[0].Hops[0].Description)
			}
		}
		var errs struct {
			FailedUnits int              `json:"failed_units"`
			Groups      []analyzer.Group `json:"groups"`
		}
		failhop(t, &errs, "errors", "--service", "fulfil")
		if errs.FailedUnits != 1 || len(errs.Groups) != 1 || errs.Groups[0].Service != "fulfil" {
			t.Errorf("failhop errors --service fulfil: %+v, want one failed unit of work in one group", errs)
		}
	})
}
