package pipelinetest

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/exporters"
)

// TestExporterInterop sends the same spans, using every field a span has,
// through exporters.Setup's default exporter and through the SDK's
// (WithSDKExporter), over both protocols, into the real failhop collector
// and Jaeger, and compares what Jaeger's OTLP API returns for the two:
// every attribute, event, link, status, resource and scope the SDK's
// exporter delivers, failhop's delivers alike.
func TestExporterInterop(t *testing.T) {
	j := startJaeger(t)
	c := startCollector(t, "failhop-collector", "otelcol.yaml",
		"JAEGER_OTLP_ENDPOINT="+j.otlpGRPC, "FAILHOP_DECISION_WAIT=1s", "FAILHOP_SAMPLE_PERCENT=100")
	for _, protocol := range []string{"grpc", "http/protobuf"} {
		t.Run(protocol, func(t *testing.T) {
			endpoint := "http://" + c.otlpGRPC
			if protocol == "http/protobuf" {
				endpoint = "http://" + c.otlpHTTP
			}
			t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)
			t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
			sdk := sendEveryField(t, exporters.WithSDKExporter())
			ours := sendEveryField(t)
			got := map[string]ptrace.Traces{}
			for name, id := range map[string]string{"sdk": sdk, "failhop": ours} {
				if !eventually(30*time.Second, func() bool {
					td, ok := jaegerOTLP(t, j, id)
					if ok && td.SpanCount() == 3 {
						got[name] = td
					}
					return ok && td.SpanCount() == 3
				}) {
					t.Fatalf("Jaeger does not have the 3 spans of the %s exporter's trace %s", name, id)
				}
			}
			want, have := normalize(got["sdk"]), normalize(got["failhop"])
			if diff := cmp.Diff(want, have); diff != "" {
				t.Errorf("Jaeger has other data from failhop's exporter than from the SDK's (-SDK +failhop):\n%s", diff)
			}
			// And the data is there at all: spot checks of each part.
			for _, check := range [][]string{
				{"resource service.name=interop"}, {"resource deployment.environment.name=test"},
				{"scope interop 1.0.0", "scope.attr=yes"},
				{"span parent server", `error "it broke"`, "s=text", "i=-7", "f=2.5", "b=true", `ss=["a","b"]`, "is=[1,2]", `map={"k":"v"}`},
				{"span internal internal", "ok"},
				{"event exception", "exception.message=boom"}, {"link child→parent", "why=retry"},
			} {
				if !hasLine(have, check[0], check[1:]...) {
					t.Errorf("%q: no such line in what Jaeger returned:\n%s", check, strings.Join(have, "\n"))
				}
			}
		})
	}
}

// sendEveryField installs Setup with opts, sends one trace of three spans
// (a server span with attributes of each type, an event and a status; a
// client child linked to it; an internal span from a second scope), shuts
// the provider down (flushing them) and returns the trace ID.
func sendEveryField(t *testing.T, opts ...exporters.Option) string {
	t.Helper()
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=test")
	ctx := context.Background()
	shutdown, err := exporters.Setup(ctx, append(opts, exporters.WithServiceName("interop"))...)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-time.Second).Truncate(time.Millisecond)
	tracer := otel.Tracer("interop", trace.WithInstrumentationVersion("1.0.0"),
		trace.WithInstrumentationAttributes(attribute.String("scope.attr", "yes")))
	ctx, parent := tracer.Start(ctx, "parent", trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(start),
		trace.WithAttributes(attribute.String("s", "text"), attribute.Int("i", -7), attribute.Float64("f", 2.5),
			attribute.Bool("b", true), attribute.StringSlice("ss", []string{"a", "b"}), attribute.Int64Slice("is", []int64{1, 2}),
			attribute.Map("map", attribute.String("k", "v"))))
	parent.AddEvent("exception", trace.WithTimestamp(start.Add(time.Millisecond)),
		trace.WithAttributes(attribute.String("exception.message", "boom")))
	parent.SetStatus(codes.Error, "it broke")
	_, child := tracer.Start(ctx, "child", trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(start.Add(time.Millisecond)),
		trace.WithLinks(trace.Link{SpanContext: parent.SpanContext(), Attributes: []attribute.KeyValue{attribute.String("why", "retry")}}))
	child.End(trace.WithTimestamp(start.Add(5 * time.Millisecond)))
	_, other := otel.Tracer("other").Start(ctx, "internal", trace.WithTimestamp(start.Add(2*time.Millisecond)))
	other.SetStatus(codes.Ok, "")
	other.End(trace.WithTimestamp(start.Add(3 * time.Millisecond)))
	parent.End(trace.WithTimestamp(start.Add(10 * time.Millisecond)))
	if err := shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	return parent.SpanContext().TraceID().String()
}

// jaegerOTLP reads a trace from Jaeger's OTLP JSON API (/api/v3).
func jaegerOTLP(t *testing.T, j *jaeger, traceID string) (ptrace.Traces, bool) {
	t.Helper()
	resp, err := http.Get(j.client.BaseURL + "/api/v3/traces/" + traceID)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return ptrace.Traces{}, false
	}
	var envelope struct {
		Result json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(body, &envelope); err != nil {
		t.Fatalf("Jaeger's answer: %v: %.300s", err, body)
	}
	td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(envelope.Result)
	if err != nil {
		t.Fatalf("Jaeger's OTLP JSON: %v: %.300s", err, envelope.Result)
	}
	return td, true
}

// normalize describes td line by line, sorted, with span IDs replaced by
// span names and times made relative to the earliest span's start, so
// that two traces of the same spans compare equal.
func normalize(td ptrace.Traces) []string {
	names := map[pcommon.SpanID]string{}
	var t0 pcommon.Timestamp
	forEachSpan(td, func(_ ptrace.ResourceSpans, _ ptrace.ScopeSpans, s ptrace.Span) {
		names[s.SpanID()] = s.Name()
		if t0 == 0 || s.StartTimestamp() < t0 {
			t0 = s.StartTimestamp()
		}
	})
	name := func(id pcommon.SpanID) string {
		if n, ok := names[id]; ok {
			return n
		}
		if id.IsEmpty() {
			return "-"
		}
		return hex.EncodeToString(id[:])
	}
	var lines []string
	forEachSpan(td, func(rs ptrace.ResourceSpans, ss ptrace.ScopeSpans, s ptrace.Span) {
		rs.Resource().Attributes().Range(func(k string, v pcommon.Value) bool {
			if k != "process.pid" && k != "host.name" {
				lines = append(lines, "resource "+k+"="+v.AsString())
			}
			return true
		})
		lines = append(lines, "scope "+ss.Scope().Name()+" "+ss.Scope().Version()+" "+attrs(ss.Scope().Attributes())+" schema="+ss.SchemaUrl())
		lines = append(lines, "span "+s.Name()+" "+spanKind(s)+" "+statusOf(s)+" "+attrs(s.Attributes())+
			" parent="+name(s.ParentSpanID())+" flags="+strconv.Itoa(int(s.Flags()))+" tracestate="+s.TraceState().AsRaw()+
			" start=+"+time.Duration(s.StartTimestamp()-t0).String()+" end=+"+time.Duration(s.EndTimestamp()-t0).String())
		for _, e := range s.Events().All() {
			lines = append(lines, "event "+e.Name()+" "+attrs(e.Attributes())+" at=+"+time.Duration(e.Timestamp()-t0).String())
		}
		for _, l := range s.Links().All() {
			lines = append(lines, "link "+s.Name()+"→"+name(l.SpanID())+" "+attrs(l.Attributes()))
		}
	})
	slices.Sort(lines)
	return slices.Compact(lines)
}

func forEachSpan(td ptrace.Traces, f func(ptrace.ResourceSpans, ptrace.ScopeSpans, ptrace.Span)) {
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, s := range ss.Spans().All() {
				f(rs, ss, s)
			}
		}
	}
}

// attrs writes a map as sorted key=value pairs.
func attrs(m pcommon.Map) string {
	var kv []string
	for k, v := range m.All() {
		kv = append(kv, k+"="+v.AsString())
	}
	slices.Sort(kv)
	return strings.Join(kv, " ")
}

func spanKind(s ptrace.Span) string { return strings.ToLower(s.Kind().String()) }

func statusOf(s ptrace.Span) string {
	return strings.ToLower(s.Status().Code().String()) + " " + strconv.Quote(s.Status().Message())
}

// hasLine reports whether a line starts with prefix and has every token.
func hasLine(lines []string, prefix string, tokens ...string) bool {
	return slices.ContainsFunc(lines, func(l string) bool {
		if !strings.HasPrefix(l, prefix) {
			return false
		}
		for _, tok := range tokens {
			if !strings.Contains(l, tok) {
				return false
			}
		}
		return true
	})
}
