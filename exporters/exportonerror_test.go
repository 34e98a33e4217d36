package exporters

import (
	"context"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// anHour is an OTEL_BSP_SCHEDULE_DELAY (ms) that never comes during a
// test: a span that arrives before shutdown was exported early.
const anHour = "3600000"

// spansOf returns the names of the spans recv has from service, sorted.
func spansOf(recv *receiver, service string) []string {
	var names []string
	for _, rs := range recv.resourceSpans() {
		if attrMap(rs.GetResource().GetAttributes())["service.name"] != service {
			continue
		}
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				names = append(names, s.GetName())
			}
		}
	}
	slices.Sort(names)
	return names
}

// setupService runs Setup for service and returns its tracer, leaving the
// globals as they were before: several services share the test process.
func setupService(t *testing.T, service string) trace.Tracer {
	t.Helper()
	before := otel.GetTracerProvider()
	shutdown := mustSetup(t, WithServiceName(service))
	tp := otel.GetTracerProvider()
	otel.SetTracerProvider(before)
	t.Cleanup(func() {
		if err := shutdownWithin(t, shutdown, 10*time.Second); err != nil {
			t.Errorf("%s: shutdown: %v", service, err)
		}
	})
	return tp.Tracer("test")
}

// serve makes the spans of one request to a service: a server span with a
// remote parent (a caller in another process), a successful child, and a
// client child, which ends with status Error if callFailed. failed says
// whether the server span does.
func serve(tracer trace.Tracer, name string, callFailed, failed bool) {
	caller := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4, 5, 6}, TraceFlags: trace.FlagsSampled, Remote: true,
	})
	ctx := trace.ContextWithRemoteSpanContext(context.Background(), caller)
	ctx, server := tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer))
	_, ok := tracer.Start(ctx, name+" lookup")
	ok.End()
	_, client := tracer.Start(ctx, name+" call", trace.WithSpanKind(trace.SpanKindClient))
	if callFailed {
		client.SetStatus(codes.Error, "connection refused")
	}
	client.End()
	if failed {
		server.SetStatus(codes.Error, "")
	}
	server.End()
}

// TestFailedRequestExportedAtOnce: with a schedule delay that never comes,
// what a real OTLP receiver gets before shutdown. A request whose server
// span fails is exported when it ends, with every span queued before it;
// successful requests and errors a request survived wait for the
// schedule; FAILHOP_EXPORT_ON_ERROR=false turns it off. A "sentinel"
// service, which fails a request after the others, shows when their spans
// would have arrived had they been exported early.
func TestFailedRequestExportedAtOnce(t *testing.T) {
	for _, protocol := range []string{"grpc", "http/protobuf"} {
		t.Run(protocol, func(t *testing.T) {
			isolate(t, map[string]string{envProtocol: protocol, "OTEL_BSP_SCHEDULE_DELAY": anHour})
			var recv receiver
			endpoint := startGRPCReceiver(t, &recv)
			if protocol == "http/protobuf" {
				endpoint = startHTTPReceiver(t, &recv)
			}
			t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
			sentinelCount := 0
			sentinel := func() {
				t.Helper()
				sentinelCount++
				serve(setupService(t, "sentinel"), "sentinel", true, true)
				waitFor(t, "the sentinel's failed request", func() bool { return len(spansOf(&recv, "sentinel")) == 3*sentinelCount })
			}

			orders := setupService(t, "orders")
			serve(orders, "healthy", false, false)
			serve(orders, "survived", true, false)               // a failed call, a successful request
			_, root := orders.Start(context.Background(), "job") // a root span, successful
			root.End()
			sentinel()
			if got := spansOf(&recv, "orders"); len(got) > 0 {
				t.Fatalf("the receiver has %q before any request failed: exported early", got)
			}

			serve(orders, "failed", true, true)
			want := []string{
				"failed", "failed call", "failed lookup", "healthy", "healthy call", "healthy lookup",
				"job", "survived", "survived call", "survived lookup",
			}
			waitFor(t, "the failed request's spans", func() bool { return slices.Equal(spansOf(&recv, "orders"), want) })

			// A root span that fails: a request from outside, or a job.
			inventory := setupService(t, "inventory")
			_, job := inventory.Start(context.Background(), "reindex")
			job.SetStatus(codes.Error, "disk full")
			job.End()
			waitFor(t, "the failed root span", func() bool { return slices.Equal(spansOf(&recv, "inventory"), []string{"reindex"}) })

			t.Setenv(envExportOnError, "false")
			before := otel.GetTracerProvider()
			shutdown := mustSetup(t, WithServiceName("payments"))
			payments := otel.GetTracerProvider().Tracer("test")
			otel.SetTracerProvider(before)
			serve(payments, "failed", true, true)
			t.Setenv(envExportOnError, "")
			sentinel()
			if got := spansOf(&recv, "payments"); len(got) > 0 {
				t.Errorf("%s=false: the receiver has %q before the schedule delay or shutdown", envExportOnError, got)
			}
			if err := shutdownWithin(t, shutdown, 10*time.Second); err != nil {
				t.Fatalf("shutdown: %v", err)
			}
			if got := spansOf(&recv, "payments"); len(got) != 3 {
				t.Errorf("%s=false: the receiver has %q after shutdown, want the request's 3 spans", envExportOnError, got)
			}
		})
	}
}

// TestScheduleDelayStillHonoured: successful traffic is exported on
// OTEL_BSP_SCHEDULE_DELAY's schedule, as the batch span processor does
// without failhop.
func TestScheduleDelayStillHonoured(t *testing.T) {
	isolate(t, map[string]string{"OTEL_BSP_SCHEDULE_DELAY": "50"})
	var recv receiver
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", startGRPCReceiver(t, &recv))
	serve(setupService(t, "orders"), "healthy", false, false)
	waitFor(t, "the healthy request's spans, on the schedule", func() bool { return len(spansOf(&recv, "orders")) == 3 })
}

// stuckProcessor is a span processor whose ForceFlush waits until its
// context is done, as one waiting on an export to an unresponsive
// collector does.
type stuckProcessor struct {
	sdktrace.SpanProcessor
	flushing chan struct{} // closed when ForceFlush was called
	shutdown bool
}

func (p *stuckProcessor) OnEnd(sdktrace.ReadOnlySpan) {}

func (p *stuckProcessor) ForceFlush(ctx context.Context) error {
	close(p.flushing)
	<-ctx.Done()
	return ctx.Err()
}

func (p *stuckProcessor) Shutdown(context.Context) error {
	p.shutdown = true
	return nil
}

// TestExportOnErrorShutdownStops: Shutdown gives up an early export that
// does not end once its context is done, stops the goroutine, and shuts
// the batch span processor down.
func TestExportOnErrorShutdownStops(t *testing.T) {
	next := &stuckProcessor{flushing: make(chan struct{})}
	p := newExportOnError(next, minEarlyInterval)
	p.OnEnd(tracetest.SpanStub{
		SpanContext: trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}, TraceFlags: trace.FlagsSampled}),
		Status:      sdktrace.Status{Code: codes.Error},
	}.Snapshot())
	<-next.flushing
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	select {
	case <-p.done:
	default:
		t.Error("the early-export goroutine still runs after Shutdown")
	}
	if !next.shutdown {
		t.Error("the batch span processor was not shut down")
	}
}
