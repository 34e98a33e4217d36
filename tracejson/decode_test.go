package tracejson

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/failhop/failhop/analyzer"
)

func us(n int64) time.Time { return time.UnixMicro(n).UTC() }
func ns(n int64) time.Time { return time.Unix(0, n).UTC() }

var (
	frontend = map[string]any{"service.name": "frontend", "service.version": "1.2.3", "host.cpus": int64(8)}
	mailer   = map[string]any{"service.name": "mailer"}
	checkout = map[string]any{"service.name": "checkout", "service.version": "2.0.0"}
)

func TestDecode(t *testing.T) {
	tests := []struct {
		file string
		want []*analyzer.Trace
	}{
		{
			// Every Jaeger mapping: process → service and resource, span.kind,
			// otel.status_code/description (and the error tag that Jaeger
			// adds to them dropped), legacy error tag (bool and string), logs → events, CHILD_OF parent, FOLLOWS_FROM parent,
			// FOLLOWS_FROM to another trace → link, a missing process, tag
			// types, int64 precision, 16-digit trace IDs and short span IDs.
			file: "jaeger_v1.json",
			want: []*analyzer.Trace{{
				TraceID: "000000000000000000f067aa0ba902b7",
				Spans: []*analyzer.Span{
					{
						SpanID: "00000000000000a1", Service: "frontend", Name: "GET /checkout",
						Kind: analyzer.KindServer, Start: us(1700000000000000), End: us(1700000000250000),
						Status: analyzer.StatusError, StatusMessage: "payment failed",
						Attributes: map[string]any{
							"http.response.status_code": int64(500),
							"big":                       int64(9007199254740993),
							"huge":                      int64(math.MaxInt64),
							"ratio":                     0.25,
							"cached":                    false,
							"blob":                      "AQID",
						},
						Resource: frontend,
						Events: []analyzer.Event{
							{Name: "exception", Time: us(1700000000100000), Attributes: map[string]any{
								"exception.type": "PaymentError", "exception.message": "card declined"}},
							{Time: us(1700000000200000), Attributes: map[string]any{"message": "no event name"}},
						},
					},
					{
						SpanID: "00000000000000b2", ParentSpanID: "00000000000000a1", Service: "frontend",
						Name: "POST /pay", Kind: analyzer.KindClient,
						Start: us(1700000000010000), End: us(1700000000210000),
						Status:     analyzer.StatusError,
						Attributes: map[string]any{"error": true},
						Resource:   frontend,
						Links:      []analyzer.Link{{TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", SpanID: "00f067aa0ba902b7"}},
					},
					{
						SpanID: "00000000000000c3", ParentSpanID: "00000000000000a1", FollowsFrom: true,
						Service: "mailer", Name: "send receipt", Kind: analyzer.KindProducer,
						Start: us(1700000000300000), End: us(1700000000301000),
						Status: analyzer.StatusOK, Attributes: map[string]any{}, Resource: mailer,
					},
					{
						SpanID: "00000000000000d4", ParentSpanID: "00000000000000b2", Name: "orphan",
						Start: us(1700000000020000), End: us(1700000000020005),
						Status: analyzer.StatusError, Attributes: map[string]any{"error": "true"},
					},
				},
			}},
		},
		{
			file: "jaeger_search.json",
			want: []*analyzer.Trace{
				{TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", Spans: []*analyzer.Span{{
					SpanID: "00f067aa0ba902b7", Service: "svc-a", Name: "a",
					Start: us(1700000000000000), End: us(1700000000000010),
					Attributes: map[string]any{}, Resource: map[string]any{"service.name": "svc-a"},
				}}},
				{TraceID: "5bf92f3577b34da6a3ce929d0e0e4736", Spans: []*analyzer.Span{{
					SpanID: "10f067aa0ba902b7", Service: "svc-b", Name: "b",
					Start: us(1700000000000000), End: us(1700000000000010),
					Attributes: map[string]any{}, Resource: map[string]any{"service.name": "svc-b", "k": "v"},
				}}},
			},
		},
		{
			// Every OTLP mapping: kinds as numbers and names, status codes as
			// numbers and names, times as strings and numbers, AnyValue kinds,
			// events, links, an all-zero parent, a resource without a
			// service.name, and grouping of spans by trace across resources.
			file: "otlp.json",
			want: []*analyzer.Trace{
				{TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", Spans: []*analyzer.Span{
					{
						SpanID: "00f067aa0ba902b7", Service: "checkout", Name: "GET /checkout",
						Kind: analyzer.KindServer, Start: ns(1700000000000000000), End: ns(1700000000250000000),
						Status: analyzer.StatusError, StatusMessage: "bad gateway",
						Attributes: map[string]any{
							"http.response.status_code": int64(502),
							"retries":                   int64(3),
							"big":                       int64(math.MaxInt64),
							"ratio":                     0.5,
							"nan":                       "NaN", // see fixNaN
							"ok":                        false,
							"tags":                      []any{"a", int64(1), "[true]"},
							"map":                       `{"x":1}`,
							"raw":                       "AQID",
							"empty":                     "",
							"otel.scope.name":           "github.com/failhop/failhop/instrument",
							"otel.scope.version":        "0.1.0",
						},
						Resource: checkout,
						Events: []analyzer.Event{{Name: "exception", Time: ns(1700000000100000000),
							Attributes: map[string]any{"exception.type": "UpstreamError"}}},
						Links: []analyzer.Link{{TraceID: "00000000000000000000000000000001", SpanID: "0000000000000002"}},
					},
					{
						SpanID: "10f067aa0ba902b7", ParentSpanID: "00f067aa0ba902b7", Service: "checkout",
						Name: "SELECT orders", Kind: analyzer.KindClient,
						Start: ns(1700000000010000000), End: ns(1700000000020000000),
						Status: analyzer.StatusOK, Resource: checkout,
						Attributes: map[string]any{
							"otel.scope.name":    "github.com/failhop/failhop/instrument",
							"otel.scope.version": "0.1.0",
						},
					},
					{
						SpanID: "30f067aa0ba902b7", ParentSpanID: "10f067aa0ba902b7", Name: "internal",
						Kind: analyzer.KindInternal, Start: ns(1700000000011000000), End: ns(1700000000012000000),
					},
				}},
				{TraceID: "5bf92f3577b34da6a3ce929d0e0e4736", Spans: []*analyzer.Span{{
					SpanID: "20f067aa0ba902b7", Name: "consume", Kind: analyzer.KindConsumer,
					Start: ns(1700000000000000000), End: ns(1700000000000001000),
				}}},
			},
		},
		{
			file: "jaeger_v3.json",
			want: []*analyzer.Trace{{TraceID: "0af7651916cd43dd8448eb211c80319c", Spans: []*analyzer.Span{
				{
					SpanID: "b7ad6b7169203331", Service: "api", Name: "GET /", Kind: analyzer.KindServer,
					Start: ns(1700000000000000000), End: ns(1700000001000000000),
					Status: analyzer.StatusError, StatusMessage: "boom",
					Attributes: map[string]any{"http.request.method": "GET"},
					Resource:   map[string]any{"service.name": "api"},
				},
				{
					SpanID: "b7ad6b7169203332", ParentSpanID: "b7ad6b7169203331", Service: "api",
					Name: "call db", Kind: analyzer.KindClient,
					Start: ns(1700000000100000000), End: ns(1700000000900000000),
					Resource: map[string]any{"service.name": "api"},
				},
			}}},
		},
		{
			// JSON Lines: spans of one trace spread over two documents.
			file: "otlp.jsonl",
			want: []*analyzer.Trace{{TraceID: "0af7651916cd43dd8448eb211c80319c", Spans: []*analyzer.Span{
				{SpanID: "0000000000000001", Service: "a", Name: "one", Kind: analyzer.KindServer,
					Start: ns(1), End: ns(2), Resource: map[string]any{"service.name": "a"}},
				{SpanID: "0000000000000002", ParentSpanID: "0000000000000001", Service: "b", Name: "two",
					Kind: analyzer.KindClient, Start: ns(1), End: ns(2),
					Resource: map[string]any{"service.name": "b"}},
			}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Decode(data)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			fixNaN(got)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d traces, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if got[i].TraceID != tt.want[i].TraceID {
					t.Errorf("trace %d: TraceID = %q, want %q", i, got[i].TraceID, tt.want[i].TraceID)
				}
				if len(got[i].Spans) != len(tt.want[i].Spans) {
					t.Fatalf("trace %d: got %d spans, want %d", i, len(got[i].Spans), len(tt.want[i].Spans))
				}
				for j, s := range got[i].Spans {
					if w := tt.want[i].Spans[j]; !reflect.DeepEqual(s, w) {
						t.Errorf("trace %d span %d:\n got %s\nwant %s", i, j, dump(s), dump(w))
					}
				}
			}
		})
	}
}

// fixNaN replaces NaN attribute values, which DeepEqual cannot compare, by
// "NaN".
func fixNaN(ts []*analyzer.Trace) {
	for _, t := range ts {
		for _, s := range t.Spans {
			for k, v := range s.Attributes {
				if f, ok := v.(float64); ok && math.IsNaN(f) {
					s.Attributes[k] = "NaN"
				}
			}
		}
	}
}

func dump(s *analyzer.Span) string { return fmt.Sprintf("%+v", *s) }

// Spans of one Jaeger process share its resource map.
func TestDecodeSharesResource(t *testing.T) {
	data, err := os.ReadFile("testdata/jaeger_v1.json")
	if err != nil {
		t.Fatal(err)
	}
	ts, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	a, b := ts[0].Spans[0].Resource, ts[0].Spans[1].Resource
	if reflect.ValueOf(a).UnsafePointer() != reflect.ValueOf(b).UnsafePointer() {
		t.Error("spans of process p1 do not share the resource map")
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // in the error message
		notFound bool
	}{
		{"empty", "", "empty input", false},
		{"blank", " \n\t", "empty input", false},
		{"not JSON", "<html>502 Bad Gateway</html>", "not JSON", false},
		{"truncated", `{"data":[`, "not JSON", false},
		{"unknown object", `{"foo":1,"bar":2}`, `neither Jaeger JSON ("data" or "spans") nor OTLP JSON ("resourceSpans"): the object has keys {"bar", "foo"}`, false},
		{"string", `"hello"`, "neither Jaeger JSON nor OTLP JSON: top-level value is a string", false},
		{"number", `42`, "neither Jaeger JSON nor OTLP JSON", false},
		{"jaeger not found", readFile(t, "jaeger_notfound.json"), "jaeger: trace not found (code 404)", true},
		{"v3 not found", readFile(t, "jaeger_v3_notfound.json"), "jaeger: trace not found (code 404)", true},
		{"jaeger search error", `{"data":[],"errors":[{"msg":"trace not found","traceID":"0af7651916cd43dd8448eb211c80319c"}]}`, "trace 0af7651916cd43dd8448eb211c80319c: trace not found", true},
		{"jaeger server error", `{"data":null,"errors":[{"code":500,"msg":"storage down"}]}`, "jaeger: storage down (code 500)", false},
		{"data not a list", `{"data":"x"}`, `"data" is a string, not a list of traces`, false},
		{"bad span ID", `{"data":[{"traceID":"1","spans":[{"spanID":"xyz"}]}]}`, `bad span ID "xyz"`, false},
		{"missing span ID", `{"data":[{"traceID":"1","spans":[{}]}]}`, "empty span ID", false},
		{"long trace ID", `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c00","spanId":"1"}]}]}]}`, "want 1 to 32 hex digits", false},
		{"bad time", `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"1","spanId":"1","startTimeUnixNano":"soon"}]}]}]}`, "startTimeUnixNano", false},
		{"bad kind", `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"1","spanId":"1","kind":true}]}]}]}`, "kind", false},
		{"bad status", `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"1","spanId":"1","status":{"code":"MAYBE"}}]}]}]}`, "status.code", false},
		{"wrong type", `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":1}]}]}]}`, "resourceSpans[0].scopeSpans[0].spans[0]: traceId: a number where a hex string was expected", false},
		{"bad second document", `{"resourceSpans":[]} {"x":1}`, "document 2: neither", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.in))
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if errors.Is(err, ErrNotFound) != tt.notFound {
				t.Errorf("errors.Is(%q, ErrNotFound) = %v, want %v", err, !tt.notFound, tt.notFound)
			}
		})
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Documents without spans decode to no traces and no error.
func TestDecodeNoSpans(t *testing.T) {
	for _, in := range []string{
		`{"data":[],"total":0,"limit":0,"offset":0,"errors":null}`,
		`{"data":null}`,
		`{"resourceSpans":[]}`,
		`{"result":{}}`,
		`{"result":null}`,
		`[]`,
	} {
		ts, err := Decode([]byte(in))
		if err != nil || len(ts) != 0 {
			t.Errorf("Decode(%s) = %d traces, %v; want none, nil", in, len(ts), err)
		}
	}
}

func TestNormalizeIDs(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		ok       bool
		span     bool
	}{
		{"1", "00000000000000000000000000000001", true, false},
		{"00F067AA0BA902B7", "000000000000000000f067aa0ba902b7", true, false},
		{"4bf92f3577b34da6a3ce929d0e0e4736", "4bf92f3577b34da6a3ce929d0e0e4736", true, false},
		{"S/kvNXezTaajzpKdDg5HNg==", "4bf92f3577b34da6a3ce929d0e0e4736", true, false}, // base64
		{"", "", false, false},
		{"g", "", false, false},
		{"4bf92f3577b34da6a3ce929d0e0e47361", "", false, false},
		{"a1", "00000000000000a1", true, true},
		{"APBnqgupArc=", "00f067aa0ba902b7", true, true}, // base64
		{"00f067aa0ba902b7a", "", false, true},
	} {
		f := NormalizeTraceID
		if tt.span {
			f = NormalizeSpanID
		}
		got, err := f(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("normalize(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// What older and looser OTLP JSON writers produce reads as the current
// form: the names before OTLP 0.15, base64 and short hex IDs, kinds and
// status codes by any spelling of their names, float times.
func TestDecodeLegacyOTLP(t *testing.T) {
	legacy := `{"resourceSpans":[{
		"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"old"}}]},
		"instrumentationLibrarySpans":[{
			"instrumentationLibrary":{"name":"lib","version":"1"},
			"spans":[
				{"traceId":"S/kvNXezTaajzpKdDg5HNg==","spanId":"APBnqgupArc=","name":"GET /","kind":"server",
				 "startTimeUnixNano":1.7e18,"endTimeUnixNano":"1700000000250000000","status":{"code":"ERROR"}},
				{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"a1","parentSpanId":"00f067aa0ba902b7",
				 "name":"call","kind":"SPAN_KIND_CLIENT","startTimeUnixNano":"1700000000010000000",
				 "endTimeUnixNano":"1700000000020000000","status":{"code":"Ok"}}
			]}]}]}`
	res := map[string]any{"service.name": "old"}
	scope := map[string]any{"otel.scope.name": "lib", "otel.scope.version": "1"}
	want := []*analyzer.Span{
		{SpanID: "00f067aa0ba902b7", Service: "old", Name: "GET /", Kind: analyzer.KindServer,
			Start: ns(1700000000000000000), End: ns(1700000000250000000), Status: analyzer.StatusError,
			Attributes: scope, Resource: res},
		{SpanID: "00000000000000a1", ParentSpanID: "00f067aa0ba902b7", Service: "old", Name: "call",
			Kind: analyzer.KindClient, Start: ns(1700000000010000000), End: ns(1700000000020000000),
			Status: analyzer.StatusOK, Attributes: scope, Resource: res},
	}
	got, err := Decode([]byte(legacy))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].TraceID != "4bf92f3577b34da6a3ce929d0e0e4736" || len(got[0].Spans) != len(want) {
		t.Fatalf("got %d traces, want one of %d spans: %+v", len(got), len(want), got)
	}
	for i, s := range got[0].Spans {
		if !reflect.DeepEqual(s, want[i]) {
			t.Errorf("span %d:\n got %s\nwant %s", i, dump(s), dump(want[i]))
		}
	}
}
