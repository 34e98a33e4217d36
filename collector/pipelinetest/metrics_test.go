package pipelinetest

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/internal/devstack/stack"
)

// The failure metrics (collector/failhopsampler) are counted before
// sampling: with FAILHOP_SAMPLE_PERCENT=0 nothing successful reaches
// Jaeger, and every request is counted all the same, exactly.

// origin marks a span as failhop's kit marks a call that got no answer.
func origin(cause string) []attribute.KeyValue {
	return []attribute.KeyValue{attribute.Bool("failhop.origin", true), attribute.String("failhop.cause", cause)}
}

// failedCalls sends a request of front, name, that failed (502) on calls
// to the peers: one after another (retries of one call when the peers are
// the same), or, with together, at once (a fan-out); root false leaves the
// root span unsent, as a proxy that propagates trace context but exports
// nothing would.
func failedCalls(t *testing.T, front *sender, name string, root, together bool, peers ...string) {
	t0 := time.Now().Add(-time.Second)
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	ctx, r := front.span(context.Background(), name, trace.SpanKindServer, t0, ms(50), true, attribute.Int("http.response.status_code", 502))
	for i, peer := range peers {
		start := 2 + 10*i
		if together {
			start = 2
		}
		_, c := front.span(ctx, "HTTP GET", trace.SpanKindClient, t0.Add(ms(start)), ms(5), true,
			append(origin("peer_unreachable"), attribute.String("http.request.method", "GET"), attribute.String("url.full", "http://"+peer+"/items/"+strconv.Itoa(i)))...)
		c.End(trace.WithTimestamp(t0.Add(ms(start + 5))))
	}
	if root {
		r.End(trace.WithTimestamp(t0.Add(ms(50))))
	}
}

// traffic sends the known mix through the collector at grpcEndpoint.
func traffic(t *testing.T, grpcEndpoint string) {
	gateway, inventory := newSender(t, grpcEndpoint, "gateway"), newSender(t, grpcEndpoint, "inventory")
	shop, pricing := newSender(t, grpcEndpoint, "shop"), newSender(t, grpcEndpoint, "pricing")
	front, edge := newSender(t, grpcEndpoint, "front"), newSender(t, grpcEndpoint, "edge")
	for range 7 {
		okTrace(t, gateway)
	}
	for range 3 {
		dbErrorTrace(t, gateway, inventory) // failhop's marks
	}
	for range 2 {
		plainErrorTrace(t, shop, pricing, nil) // no failhop marks at all
	}
	failedCalls(t, front, "GET /fanout", true, true, "a:81", "b:82")         // fan-out, two failing hops
	failedCalls(t, front, "GET /retry", true, false, "c:83", "c:83", "c:83") // retried, one hop
	failedCalls(t, edge, "GET /proxied", false, false, "d:84")               // the root never arrives
	flush(t, gateway, inventory, shop, pricing, front, edge)
}

// wantCounts are the counters traffic must give, exactly.
var wantCounts = map[string]float64{
	`failhop_requests_total{entry_operation="GET /health",entry_service="gateway"}`:     7,
	`failhop_requests_total{entry_operation="GET /items/{id}",entry_service="gateway"}`: 3,
	`failhop_requests_total{entry_operation="POST /cart",entry_service="shop"}`:         2,
	`failhop_requests_total{entry_operation="GET /fanout",entry_service="front"}`:       1,
	`failhop_requests_total{entry_operation="GET /retry",entry_service="front"}`:        1,
	`failhop_requests_total{entry_operation="HTTP GET",entry_service="edge"}`:           1,

	`failhop_failed_requests_total{entry_operation="GET /items/{id}",entry_service="gateway"}`: 3,
	`failhop_failed_requests_total{entry_operation="POST /cart",entry_service="shop"}`:         2,
	`failhop_failed_requests_total{entry_operation="GET /fanout",entry_service="front"}`:       1,
	`failhop_failed_requests_total{entry_operation="GET /retry",entry_service="front"}`:        1,
	`failhop_failed_requests_total{entry_operation="HTTP GET",entry_service="edge"}`:           1,

	`failhop_failing_hops_total{cause="db_error",entry_operation="GET /items/{id}",entry_service="gateway",origin_operation="sqlite SELECT stock",origin_service="inventory",origin_version="1.0.0"}`: 3,
	`failhop_failing_hops_total{cause="db_error",entry_operation="POST /cart",entry_service="shop",origin_operation="postgresql SELECT prices",origin_service="pricing",origin_version="1.0.0"}`:      2,
	`failhop_failing_hops_total{cause="peer_unreachable",entry_operation="GET /fanout",entry_service="front",origin_operation="a:81 GET",origin_service="front",origin_version="1.0.0"}`:              1,
	`failhop_failing_hops_total{cause="peer_unreachable",entry_operation="GET /fanout",entry_service="front",origin_operation="b:82 GET",origin_service="front",origin_version="1.0.0"}`:              1,
	`failhop_failing_hops_total{cause="peer_unreachable",entry_operation="GET /retry",entry_service="front",origin_operation="c:83 GET",origin_service="front",origin_version="1.0.0"}`:               1,
	`failhop_failing_hops_total{cause="peer_unreachable",entry_operation="HTTP GET",entry_service="edge",origin_operation="d:84 GET",origin_service="edge",origin_version="1.0.0"}`:                   1,
}

// counters reads the failhop_* counters of the /metrics at urls, summed
// by series.
func counters(t *testing.T, urls ...string) map[string]float64 {
	t.Helper()
	sum := map[string]float64{}
	for _, u := range urls {
		all, err := samples(scrape(t, u, ""))
		if err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		for series, v := range all {
			if strings.HasPrefix(series, "failhop_") && strings.HasSuffix(series, "}") {
				sum[series] += v
			}
		}
	}
	return sum
}

// scrape GETs url, with accept as the Accept header if not empty.
func scrape(t *testing.T, url, accept string) string {
	t.Helper()
	_, body, err := httpGet(url, accept)
	if err != nil {
		t.Fatalf("scraping the failure metrics: %v", err)
	}
	return body
}

// checkCounts waits for the counts to settle at wantCounts (the counting
// pipeline holds a trace for the decision wait) and checks them.
func checkCounts(t *testing.T, urls ...string) {
	t.Helper()
	var got map[string]float64
	eventually(30*time.Second, func() bool {
		got = counters(t, urls...)
		return maps.Equal(got, wantCounts)
	})
	if !maps.Equal(got, wantCounts) {
		var diff []string
		for _, k := range slices.Sorted(maps.Keys(wantCounts)) {
			if got[k] != wantCounts[k] {
				diff = append(diff, fmt.Sprintf("%s = %v, want %v", k, got[k], wantCounts[k]))
			}
		}
		for _, k := range slices.Sorted(maps.Keys(got)) {
			if _, ok := wantCounts[k]; !ok {
				diff = append(diff, fmt.Sprintf("%s = %v, not expected", k, got[k]))
			}
		}
		t.Errorf("the failure metrics are not exact:\n%s", strings.Join(diff, "\n"))
	}
}

// TestFailureMetrics sends known traffic through otelcol.yaml with
// nothing sampled but the failures, and reads /metrics: every counter is
// exact, the successful requests counted although none is kept, and the
// failing hops carry exemplars in the OpenMetrics exposition.
func TestFailureMetrics(t *testing.T) {
	j := startJaeger(t)
	c := startCollector(t, "failhop-collector", "otelcol.yaml",
		"JAEGER_OTLP_ENDPOINT="+j.otlpGRPC, "FAILHOP_DECISION_WAIT=1s", "FAILHOP_SAMPLE_PERCENT=0")
	traffic(t, c.otlpGRPC)
	checkCounts(t, c.metricsURL)
	if got := j.search(t, "gateway", map[string]string{"http.response.status_code": "200"}); len(got) != 0 {
		t.Errorf("Jaeger has %d successful gateway traces: sampling kept what it should have dropped", len(got))
	}
	om := scrape(t, c.metricsURL, "application/openmetrics-text; version=1.0.0")
	// An exemplar's labels come in either order.
	if !regexp.MustCompile(`origin_operation="sqlite SELECT stock",origin_service="inventory",origin_version="1.0.0"\} 3\.0 # \{[^}]*trace_id="[0-9a-f]{32}"`).MatchString(om) {
		t.Errorf("no exemplar with a trace_id on the failing hop in the OpenMetrics exposition:\n%s", om)
	}
}

// TestFailureMetricsScaleOut: the same traffic through agent.yaml and two
// gateways is counted exactly, each trace once, across the gateways.
func TestFailureMetricsScaleOut(t *testing.T) {
	j := startJaeger(t)
	var gws, urls []string
	for i := range 2 {
		g := startCollector(t, "gateway-"+strconv.Itoa(i+1), "gateway.yaml",
			"JAEGER_OTLP_ENDPOINT="+j.otlpGRPC, "FAILHOP_DECISION_WAIT=1s", "FAILHOP_SAMPLE_PERCENT=0")
		gws, urls = append(gws, g.otlpGRPC), append(urls, g.metricsURL)
	}
	a := startCollector(t, "agent", "agent.yaml", "FAILHOP_GATEWAYS="+strings.Join(gws, ","))
	traffic(t, a.otlpGRPC)
	checkCounts(t, urls...)
	for _, u := range urls {
		if !strings.Contains(scrape(t, u, ""), "failhop_requests_total{") {
			t.Errorf("%s counted no request: the agent sent every trace to one gateway", u)
		}
	}
}

// TestPrometheus runs a real Prometheus (scripts/prometheus.sh installs
// it) with the shipped prometheus.yml and alerts.yml over the real
// collector, sends a hop that keeps failing, and asks Prometheus's HTTP
// API: the series are there with their labels and exemplars, the rules
// are loaded and healthy, and FailhopFailingHop goes pending for the hop.
func TestPrometheus(t *testing.T) {
	bin := promTool(t, "prometheus")
	j := startJaeger(t)
	ports := freePorts(t)
	run(t, "failhop-collector", stack.CollectorService(root(t), t.TempDir(), "otelcol.yaml", ports,
		[]string{"JAEGER_OTLP_ENDPOINT=" + j.otlpGRPC, "FAILHOP_DECISION_WAIT=1s", "FAILHOP_SAMPLE_PERCENT=0"}))
	free, err := stack.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	prom, err := stack.PrometheusService(root(t), t.TempDir(), bin, free[0], []string{addr(ports.FailureMetrics)}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	run(t, "prometheus", prom)
	api := stack.PrometheusURL(free[0]) + "/api/v1/"

	gateway, inventory := newSender(t, addr(ports.CollectorOTLPGRPC), "gateway"), newSender(t, addr(ports.CollectorOTLPGRPC), "inventory")
	hop := `origin_service="inventory",origin_operation="sqlite SELECT stock",cause="db_error"`
	pending := eventually(60*time.Second, func() bool {
		dbErrorTrace(t, gateway, inventory)
		flush(t, gateway, inventory)
		alerts := promGet(t, api+"alerts")
		return strings.Contains(alerts, `"alertname":"FailhopFailingHop"`) && strings.Contains(alerts, `"state":"pending"`)
	})
	if !pending {
		t.Fatalf("FailhopFailingHop is not pending after 60 s of failures: %s", promGet(t, api+"alerts"))
	}
	alerts := promGet(t, api+"alerts")
	for _, want := range []string{`"cause":"db_error"`, `"origin_operation":"sqlite SELECT stock"`, `"origin_service":"inventory"`} {
		if !strings.Contains(alerts, want) {
			t.Errorf("the pending alert lacks %s: %s", want, alerts)
		}
	}

	series := promGet(t, api+"series?match[]="+url.QueryEscape("failhop_failing_hops_total{"+hop+"}"))
	for _, want := range []string{`"entry_service":"gateway"`, `"entry_operation":"GET /items/{id}"`, `"origin_version":"1.0.0"`, `"job":"failhop"`} {
		if !strings.Contains(series, want) {
			t.Errorf("Prometheus's failhop_failing_hops_total series lack %s: %s", want, series)
		}
	}
	if ex := promGet(t, api+"query_exemplars?query="+url.QueryEscape("failhop_failing_hops_total")+"&start=0&end=9999999999"); !strings.Contains(ex, `"trace_id":"`) {
		t.Errorf("Prometheus kept no exemplar with a trace_id: %s", ex)
	}

	// failhop errors takes the service's request counts from Prometheus.
	out, err := exec.Command(builtBinary(t, "failhop", "make bin/failhop"), "errors", "--json", "--service", "gateway",
		"--jaeger", j.client.BaseURL, "--prometheus", stack.PrometheusURL(free[0])).CombinedOutput()
	if err != nil {
		t.Fatalf("failhop errors: %v\n%s", err, out)
	}
	var rep struct {
		Counted *struct{ Requests, Failed float64 }
	}
	if err := json.Unmarshal(out, &rep); err != nil || rep.Counted == nil || rep.Counted.Requests <= 0 || rep.Counted.Failed <= 0 {
		t.Errorf("failhop errors --prometheus: no request counts (%v): %s", err, out)
	}

	var rules struct {
		Data struct {
			Groups []struct {
				Rules []struct {
					Name, Health, Type, LastError string
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(promGet(t, api+"rules")), &rules); err != nil {
		t.Fatal(err)
	}
	alerting := map[string]string{}
	for _, g := range rules.Data.Groups {
		for _, r := range g.Rules {
			if r.Health != "ok" {
				t.Errorf("rule %s: health %q, %s", r.Name, r.Health, r.LastError)
			}
			if r.Type == "alerting" {
				alerting[r.Name] = r.Health
			}
		}
	}
	for _, name := range []string{"FailhopFailingHop", "FailhopNewFailingHop", "FailhopErrorBudgetBurn"} {
		if alerting[name] != "ok" {
			t.Errorf("alert %s not loaded and healthy: %v", name, alerting)
		}
	}
}

// promGet GETs a Prometheus API URL and returns the body of a 200 answer.
func promGet(t *testing.T, u string) string {
	t.Helper()
	status, body, err := httpGet(u, "")
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", u, status, body)
	}
	return body
}
