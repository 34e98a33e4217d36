package pipelinetest

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// TestConventions sends, as plain OTLP from the OTel SDK (no failhop),
// traces whose failure is told by one convention only, through the shipped
// single-node config sampling nothing else (FAILHOP_SAMPLE_PERCENT=0): the
// failhop sampler keeps each one, because the analyzer would call it
// failed, and the processor marks the span where it started.
func TestConventions(t *testing.T) {
	j := startJaeger(t)
	c := startCollector(t, "failhop-collector", "otelcol.yaml",
		"JAEGER_OTLP_ENDPOINT="+j.otlpGRPC, "FAILHOP_DECISION_WAIT=1s", "FAILHOP_SAMPLE_PERCENT=0")
	front, back := newSender(t, c.otlpGRPC, "front"), newSender(t, c.otlpGRPC, "back")
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }

	// front GET /x [server] → front GET [client] → back GET /y [server] → back query [client, the origin]
	// each failed by the attributes given, status left unset.
	send := func(rootAttr, clientAttr, serverAttr, originAttr []attribute.KeyValue) sentTrace {
		t0 := time.Now().Add(-time.Second)
		ctx, root := front.span(context.Background(), "GET /x", trace.SpanKindServer, t0, ms(40), false, rootAttr...)
		cctx, client := front.span(ctx, "GET", trace.SpanKindClient, t0.Add(ms(2)), ms(30), false,
			append(clientAttr, attribute.String("http.method", "GET"), attribute.String("http.url", "http://back:9000/y"))...)
		sctx, server := back.span(cctx, "GET /y", trace.SpanKindServer, t0.Add(ms(3)), ms(28), false, serverAttr...)
		_, origin := back.span(sctx, "query", trace.SpanKindClient, t0.Add(ms(4)), ms(3), false,
			append(originAttr, attribute.String("db.system", "redis"))...)
		origin.End(trace.WithTimestamp(t0.Add(ms(7))))
		server.End(trace.WithTimestamp(t0.Add(ms(31))))
		client.End(trace.WithTimestamp(t0.Add(ms(32))))
		root.End(trace.WithTimestamp(t0.Add(ms(40))))
		return sentTrace{traceID: root.SpanContext().TraceID().String(), spans: map[string]string{
			"root": root.SpanContext().SpanID().String(), "server": server.SpanContext().SpanID().String(),
			"origin": origin.SpanContext().SpanID().String(),
		}}
	}
	errTag := []attribute.KeyValue{attribute.Bool("error", true)}
	legacy5xx := []attribute.KeyValue{attribute.Int("http.status_code", 500)}
	current5xx := []attribute.KeyValue{attribute.Int("http.response.status_code", 503)}

	cases := []struct {
		name, origin, hop, cause string
		tr                       sentTrace
	}{
		{"error tag", "origin", "back → redis query", "db_error", send(errTag, errTag, errTag, errTag)},
		{"legacy http.status_code 5xx", "origin", "back → redis query", "db_error", send(legacy5xx, legacy5xx, legacy5xx, errTag)},
		{"current http.response.status_code 5xx", "server", "front → back GET /y", "app_error", send(current5xx, current5xx, current5xx, nil)},
	}
	flush(t, front, back)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkMarked(t, j, "back", c.tr, c.origin, c.hop, c.cause)
		})
	}
}
