package jaeger_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/analyzer"
	"github.com/failhop/failhop/internal/devstack/jaegertest"
	"github.com/failhop/failhop/jaeger"
)

// Tests against a real Jaeger (bin/jaeger): spans go in with the OTel SDK
// over OTLP/gRPC and come back through the query API.

const service = "failhop-jaeger-test"

// sent describes the trace that sendTrace sends.
type sent struct {
	traceID, rootID, childID, asyncID string
	link                              trace.SpanContext
}

// sendTrace sends one trace of three spans: a server root (status OK), a
// client child with an error status, an exception event and a link to
// another trace, and an internal span whose parent is the child.
func sendTrace(t *testing.T, endpoint string) sent {
	t.Helper()
	ctx := context.Background()
	exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(endpoint), otlptracegrpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSyncer(exp),
		sdktrace.WithResource(resource.NewSchemaless(
			attribute.String("service.name", service),
			attribute.String("service.version", "1.2.3"),
		)),
	)
	defer func() {
		if err := tp.Shutdown(ctx); err != nil {
			t.Errorf("shutting down the tracer provider: %v", err)
		}
	}()
	tr := tp.Tracer("github.com/failhop/failhop/jaeger_test")

	link := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{0x0a, 0xf7, 0x65, 0x19, 0x16, 0xcd, 0x43, 0xdd, 0x84, 0x48, 0xeb, 0x21, 0x1c, 0x80, 0x31, 0x9c},
		SpanID:  trace.SpanID{0xb7, 0xad, 0x6b, 0x71, 0x69, 0x20, 0x33, 0x31},
	})
	ctx, root := tr.Start(ctx, "GET /checkout", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(
			attribute.String("http.request.method", "GET"),
			attribute.Int("http.response.status_code", 502),
			attribute.Int64("big", 9007199254740993), // over JavaScript's exact range
			attribute.Bool("cached", false),
			attribute.Float64("ratio", 0.25),
		))
	cctx, child := tr.Start(ctx, "POST /pay", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithLinks(trace.Link{SpanContext: link}))
	child.RecordError(errors.New("card declined"))
	child.SetStatus(codes.Error, "payment failed")
	_, async := tr.Start(cctx, "retry later")
	async.End()
	child.End()
	root.SetStatus(codes.Ok, "")
	root.End()
	return sent{
		traceID: root.SpanContext().TraceID().String(),
		rootID:  root.SpanContext().SpanID().String(),
		childID: child.SpanContext().SpanID().String(),
		asyncID: async.SpanContext().SpanID().String(),
		link:    link,
	}
}

// waitTrace waits for the trace with WaitForTrace, and checks that it
// came whole: n spans.
func waitTrace(t *testing.T, c *jaeger.Client, id string, n int) *analyzer.Trace {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tr, err := c.WaitForTrace(ctx, id, 500*time.Millisecond, nil)
	if err != nil {
		t.Fatalf("WaitForTrace(%s): %v", id, err)
	}
	if len(tr.Spans) != n {
		t.Fatalf("trace %s has %d spans, want %d", id, len(tr.Spans), n)
	}
	return tr
}

func spanByName(t *testing.T, tr *analyzer.Trace, name string) *analyzer.Span {
	t.Helper()
	for _, s := range tr.Spans {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no span %q in trace %s", name, tr.TraceID)
	return nil
}

// checkTrace asserts what both APIs must give back of sendTrace's trace.
func checkTrace(t *testing.T, tr *analyzer.Trace, want sent) {
	t.Helper()
	if tr.TraceID != want.traceID || len(tr.Spans) != 3 {
		t.Fatalf("trace %s with %d spans, want %s with 3", tr.TraceID, len(tr.Spans), want.traceID)
	}
	root := spanByName(t, tr, "GET /checkout")
	child := spanByName(t, tr, "POST /pay")
	async := spanByName(t, tr, "retry later")
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"root ID", root.SpanID, want.rootID},
		{"root parent", root.ParentSpanID, ""},
		{"root kind", root.Kind, analyzer.KindServer},
		{"root status", root.Status, analyzer.StatusOK},
		{"root service", root.Service, service},
		{"root service.version", root.Resource["service.version"], "1.2.3"},
		{"root service.name", root.Resource["service.name"], service},
		{"root method", root.Attributes["http.request.method"], "GET"},
		{"root status code", root.Attributes["http.response.status_code"], int64(502)},
		{"root status code as string", root.Attr("http.response.status_code"), "502"},
		{"root big", root.Attributes["big"], int64(9007199254740993)},
		{"root cached", root.Attributes["cached"], false},
		{"root ratio", root.Attributes["ratio"], 0.25},
		{"child ID", child.SpanID, want.childID},
		{"child parent", child.ParentSpanID, want.rootID},
		{"child follows from", child.FollowsFrom, false},
		{"child kind", child.Kind, analyzer.KindClient},
		{"child status", child.Status, analyzer.StatusError},
		{"child status message", child.StatusMessage, "payment failed"},
		{"child links", child.Links, []analyzer.Link{{TraceID: want.link.TraceID().String(), SpanID: want.link.SpanID().String()}}},
		{"child events", len(child.Events), 1},
		{"async parent", async.ParentSpanID, want.childID},
		{"async kind", async.Kind, analyzer.KindInternal},
		{"async status", async.Status, analyzer.StatusUnset},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
	if ev := child.Events; len(ev) == 1 {
		if ev[0].Name != "exception" || ev[0].Attributes["exception.message"] != "card declined" ||
			ev[0].Attributes["exception.type"] != "*errors.errorString" || ev[0].Time.IsZero() {
			t.Errorf("child event = %+v", ev[0])
		}
	}
	if d := root.Duration(); d <= 0 || d > time.Minute || root.Start.After(child.Start) {
		t.Errorf("root times %v..%v, child starts %v", root.Start, root.End, child.Start)
	}
}

func TestRealJaeger(t *testing.T) {
	j := jaegertest.StartJaeger(t)
	want := sendTrace(t, j.OTLPGRPCEndpoint)
	c := jaeger.New(j.QueryURL)

	t.Run("Trace via API v3", func(t *testing.T) {
		checkTrace(t, waitTrace(t, c, want.traceID, 3), want)
	})

	t.Run("Trace via API v1 fallback", func(t *testing.T) {
		// A proxy that hides /api/v3, as in front of an older Jaeger.
		target, _ := url.Parse(j.QueryURL)
		proxy := httputil.NewSingleHostReverseProxy(target)
		var v1Calls int
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/api/v3/") {
				http.NotFound(w, r)
				return
			}
			v1Calls++
			proxy.ServeHTTP(w, r)
		}))
		defer srv.Close()
		v1 := waitTrace(t, jaeger.New(srv.URL), want.traceID, 3)
		checkTrace(t, v1, want)
		if v1Calls == 0 {
			t.Error("the v1 API was not asked")
		}
		// Both APIs give the same trace, but for the v1 API's times in µs.
		v3 := waitTrace(t, c, want.traceID, 3)
		for _, tr := range []*analyzer.Trace{v1, v3} {
			slices.SortFunc(tr.Spans, func(a, b *analyzer.Span) int { return strings.Compare(a.SpanID, b.SpanID) })
			for _, s := range tr.Spans {
				// As Jaeger converts them: start and duration in µs.
				s.Start, s.End = s.Start.Truncate(time.Microsecond), s.Start.Truncate(time.Microsecond).Add(s.End.Sub(s.Start).Truncate(time.Microsecond))
				for i := range s.Events {
					s.Events[i].Time = s.Events[i].Time.Truncate(time.Microsecond)
				}
			}
		}
		for i := range v3.Spans {
			if !reflect.DeepEqual(v1.Spans[i], v3.Spans[i]) {
				t.Errorf("v1 and v3 differ:\nv1 %+v\nv3 %+v", *v1.Spans[i], *v3.Spans[i])
			}
		}
	})

	t.Run("Trace not found", func(t *testing.T) {
		_, err := c.Trace(context.Background(), "0123456789abcdef0123456789abcdef")
		if !errors.Is(err, jaeger.ErrNotFound) {
			t.Fatalf("error %v is not ErrNotFound", err)
		}
		if !strings.Contains(err.Error(), "try again in a few seconds") {
			t.Errorf("error %q does not say to try again", err)
		}
	})

	t.Run("FindTraces", func(t *testing.T) {
		ctx := context.Background()
		find := func(q jaeger.Query) []*analyzer.Trace {
			t.Helper()
			ts, err := c.FindTraces(ctx, q)
			if err != nil {
				t.Fatalf("FindTraces(%+v): %v", q, err)
			}
			return ts
		}
		// The trace is stored (the subtests above waited for it).
		ts := find(jaeger.Query{Service: service, Since: time.Hour, Limit: 10})
		if len(ts) != 1 {
			t.Fatalf("FindTraces: %d traces, want 1", len(ts))
		}
		checkTrace(t, ts[0], want)
		ts = find(jaeger.Query{Service: service, Tags: map[string]string{"http.response.status_code": "502"}})
		if len(ts) != 1 || ts[0].TraceID != want.traceID {
			t.Errorf("FindTraces by tag: %d traces, want the one", len(ts))
		}
		ts = find(jaeger.Query{Service: service, Operation: "POST /pay"})
		if len(ts) != 1 {
			t.Errorf("FindTraces by operation: %d traces, want 1", len(ts))
		}
		for _, q := range []jaeger.Query{
			{Service: service, Tags: map[string]string{"http.response.status_code": "200"}},
			{Service: service, Operation: "no such operation"},
			{Service: "no-such-service"},
		} {
			if ts := find(q); len(ts) != 0 {
				t.Errorf("FindTraces(%+v): %d traces, want none", q, len(ts))
			}
		}
	})

	t.Run("Jaeger does not trace itself", func(t *testing.T) {
		resp, err := http.Get(j.QueryURL + "/api/services")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var services struct{ Data []string }
		if err := json.Unmarshal(body, &services); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		if !slices.Equal(services.Data, []string{service}) {
			t.Errorf("services = %q, want only %q", services.Data, service)
		}
	})
}
