package otlpconv_test

import (
	"fmt"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/failhop/failhop/analyzer"
	"github.com/failhop/failhop/analyzer/otlpconv"
)

// A trace as the collector holds it: the shop's server span, and its call
// to the payments service, which was refused.
func exampleTraces() ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "shop")
	spans := rs.ScopeSpans().AppendEmpty().Spans()
	start := pcommon.NewTimestampFromTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	traceID := pcommon.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}

	server := spans.AppendEmpty()
	server.SetTraceID(traceID)
	server.SetSpanID(pcommon.SpanID{1})
	server.SetName("POST /checkout")
	server.SetKind(ptrace.SpanKindServer)
	server.SetStartTimestamp(start)
	server.SetEndTimestamp(start + 30e6)
	server.Attributes().PutInt("http.response.status_code", 502)
	server.Status().SetCode(ptrace.StatusCodeError)

	client := spans.AppendEmpty()
	client.SetTraceID(traceID)
	client.SetSpanID(pcommon.SpanID{2})
	client.SetParentSpanID(server.SpanID())
	client.SetName("POST")
	client.SetKind(ptrace.SpanKindClient)
	client.SetStartTimestamp(start + 1e6)
	client.SetEndTimestamp(start + 2e6)
	client.Attributes().PutStr("service.peer.name", "payments")
	client.Attributes().PutStr("error.type", "connection_refused")
	client.Status().SetCode(ptrace.StatusCodeError)
	return td
}

// Convert each span with the resource it belongs to, then analyze the
// trace.
func Example() {
	td := exampleTraces()
	tr := &analyzer.Trace{}
	for _, rs := range td.ResourceSpans().All() {
		res := otlpconv.NewResource(rs.Resource().Attributes())
		for _, ss := range rs.ScopeSpans().All() {
			for _, s := range ss.Spans().All() {
				tr.TraceID = s.TraceID().String()
				tr.Spans = append(tr.Spans, otlpconv.Convert(s, res, ss.Scope()))
			}
		}
	}
	rep := analyzer.Analyze(tr)
	fmt.Println(rep.Failed, rep.Hops[0].Description, rep.Hops[0].Cause)
	// Output: true shop → payments POST peer_unreachable
}

// FailureTest says whether a trace has a failed span without converting
// it; Entry names the span the analyzer would start at.
func ExampleFailureTest() {
	td := exampleTraces()
	var test otlpconv.FailureTest
	fmt.Println(test.AnyFailed(td))
	fmt.Println(otlpconv.Entry(td))
	// Output:
	// true
	// shop POST /checkout true
}
