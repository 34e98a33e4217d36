package exporters

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"

	"github.com/failhop/failhop/internal/devstack/syncbuf"
)

// otelEnv lists every variable the tests set, so each test starts from a
// clean environment whatever the developer's shell exports.
var otelEnv = []string{
	envSDKDisabled, envTracesExporter, envTracesProtocol, envProtocol, envPropagators,
	"OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES",
	"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
	"OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
	"OTEL_EXPORTER_OTLP_INSECURE", "OTEL_EXPORTER_OTLP_TRACES_INSECURE",
	"OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG",
	"OTEL_BSP_SCHEDULE_DELAY", "OTEL_BSP_EXPORT_TIMEOUT", "OTEL_BSP_MAX_QUEUE_SIZE", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
	envExportOnError,
}

// isolate clears the OpenTelemetry environment, sets env, and restores the
// globals Setup changes when the test ends.
func isolate(t *testing.T, env map[string]string) {
	t.Helper()
	for _, k := range otelEnv {
		t.Setenv(k, "")
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	t.Cleanup(func() {
		otel.SetTracerProvider(noop.NewTracerProvider())
		otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator())
	})
}

func mustSetup(t *testing.T, opts ...Option) func(context.Context) error {
	t.Helper()
	shutdown, err := Setup(context.Background(), opts...)
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	return shutdown
}

func shutdownWithin(t *testing.T, shutdown func(context.Context) error, d time.Duration) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return shutdown(ctx)
}

func attrMap(kvs []*commonpb.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		m[kv.GetKey()] = kv.GetValue().GetStringValue()
	}
	return m
}

func TestSetupExportsToRealReceiver(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		wantHTTP bool
	}{
		{name: "default is grpc"},
		{name: "grpc", env: map[string]string{envProtocol: "grpc"}},
		{name: "http/protobuf", env: map[string]string{envProtocol: "http/protobuf"}, wantHTTP: true},
		{name: "traces protocol overrides general", env: map[string]string{envProtocol: "grpc", envTracesProtocol: "http/protobuf"}, wantHTTP: true},
		{name: "traces grpc overrides general http", env: map[string]string{envProtocol: "http/protobuf", envTracesProtocol: "grpc"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t, tt.env)
			var recv receiver
			endpoint := startGRPCReceiver(t, &recv)
			if tt.wantHTTP {
				endpoint = startHTTPReceiver(t, &recv)
			}
			t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)

			shutdown := mustSetup(t,
				WithServiceName("checkout"),
				WithServiceVersion("1.2.3"),
				WithEnvironment("test"),
			)
			_, span := otel.Tracer("test").Start(context.Background(), "charge card")
			span.End()
			if err := shutdownWithin(t, shutdown, 10*time.Second); err != nil {
				t.Fatalf("shutdown: %v", err)
			}

			got := recv.resourceSpans()
			if len(got) != 1 {
				t.Fatalf("received %d resource spans, want 1", len(got))
			}
			rs := got[0]
			if rs.GetSchemaUrl() != semconv.SchemaURL {
				t.Errorf("schema URL = %q, want %q", rs.GetSchemaUrl(), semconv.SchemaURL)
			}
			attrs := attrMap(rs.GetResource().GetAttributes())
			for k, want := range map[string]string{
				"service.name":                "checkout",
				"service.version":             "1.2.3",
				"deployment.environment.name": "test",
				"telemetry.sdk.language":      "go",
			} {
				if attrs[k] != want {
					t.Errorf("resource %s = %q, want %q", k, attrs[k], want)
				}
			}
			if attrs["host.name"] == "" {
				t.Errorf("resource has no host.name: %v", attrs)
			}
			var names []string
			for _, ss := range rs.GetScopeSpans() {
				for _, s := range ss.GetSpans() {
					names = append(names, s.GetName())
				}
			}
			if len(names) != 1 || names[0] != "charge card" {
				t.Errorf("span names = %q, want [charge card]", names)
			}
		})
	}
}

func TestResourcePrecedence(t *testing.T) {
	opts := config{serviceName: "opt-svc", serviceVersion: "1.0.0", environment: "opt-env"}
	tests := []struct {
		name string
		cfg  config
		env  map[string]string
		want map[string]string
	}{
		{
			name: "options",
			cfg:  opts,
			want: map[string]string{"service.name": "opt-svc", "service.version": "1.0.0", "deployment.environment.name": "opt-env"},
		},
		{
			name: "OTEL_SERVICE_NAME overrides option",
			cfg:  opts,
			env:  map[string]string{"OTEL_SERVICE_NAME": "env-svc"},
			want: map[string]string{"service.name": "env-svc", "service.version": "1.0.0"},
		},
		{
			name: "OTEL_RESOURCE_ATTRIBUTES overrides options",
			cfg:  opts,
			env:  map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "service.version=2.0.0,deployment.environment.name=staging,team=pay"},
			want: map[string]string{"service.name": "opt-svc", "service.version": "2.0.0", "deployment.environment.name": "staging", "team": "pay"},
		},
		{
			name: "OTEL_SERVICE_NAME beats service.name in OTEL_RESOURCE_ATTRIBUTES",
			env:  map[string]string{"OTEL_SERVICE_NAME": "a", "OTEL_RESOURCE_ATTRIBUTES": "service.name=b"},
			want: map[string]string{"service.name": "a"},
		},
		{
			name: "env can override detected attributes",
			env:  map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "host.name=override"},
			want: map[string]string{"host.name": "override"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t, tt.env)
			res, err := newResource(context.Background(), tt.cfg)
			if err != nil {
				t.Fatalf("newResource: %v", err)
			}
			if res.SchemaURL() != semconv.SchemaURL {
				t.Errorf("schema URL = %q, want %q", res.SchemaURL(), semconv.SchemaURL)
			}
			for k, want := range tt.want {
				if got, _ := res.Set().Value(attribute.Key(k)); got.AsString() != want {
					t.Errorf("%s = %q, want %q", k, got.AsString(), want)
				}
			}
		})
	}

	t.Run("no name", func(t *testing.T) {
		isolate(t, nil)
		res, _ := newResource(context.Background(), config{})
		got, _ := res.Set().Value(semconv.ServiceNameKey)
		if !strings.HasPrefix(got.AsString(), "unknown_service:") {
			t.Errorf("service.name = %q, want unknown_service:<exe>", got.AsString())
		}
	})

	t.Run("malformed env is not fatal", func(t *testing.T) {
		isolate(t, map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "nonsense"})
		res, err := newResource(context.Background(), opts)
		if !errors.Is(err, resource.ErrPartialResource) {
			t.Errorf("err = %v, want ErrPartialResource", err)
		}
		if got, _ := res.Set().Value(semconv.ServiceNameKey); got.AsString() != "opt-svc" {
			t.Errorf("service.name = %q, want opt-svc", got.AsString())
		}
	})
}

func TestSetupConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string // substrings of the error
	}{
		{"unknown protocol", map[string]string{envProtocol: "http/json"},
			[]string{envProtocol, `"http/json"`, `"grpc"`, `"http/protobuf"`}},
		{"unknown traces protocol", map[string]string{envTracesProtocol: "udp", envProtocol: "grpc"},
			[]string{envTracesProtocol, `"udp"`, `"grpc"`, `"http/protobuf"`}},
		{"unknown exporter", map[string]string{envTracesExporter: "zipkin"},
			[]string{envTracesExporter, `"zipkin"`, `"otlp"`, `"console"`, `"none"`}},
		{"none combined", map[string]string{envTracesExporter: "none,otlp"},
			[]string{envTracesExporter, `"none" cannot be combined`}},
		{"unknown propagator", map[string]string{envPropagators: "tracecontext,b3"},
			[]string{envPropagators, `"b3"`, `"tracecontext"`, `"baggage"`}},
		{"export on error not a bool", map[string]string{envExportOnError: "soon"},
			[]string{envExportOnError, `"soon"`, `"true"`, `"false"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t, tt.env)
			before := otel.GetTracerProvider()
			shutdown, err := Setup(context.Background(), WithServiceName("x"))
			if err == nil {
				_ = shutdownWithin(t, shutdown, time.Second)
				t.Fatal("Setup succeeded, want error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %s", err, w)
				}
			}
			if otel.GetTracerProvider() != before {
				t.Error("Setup changed the global tracer provider despite failing")
			}
		})
	}
}

func TestSetupNoExporterStillTraces(t *testing.T) {
	isolate(t, map[string]string{envTracesExporter: "none"})
	shutdown := mustSetup(t)
	defer func() {
		if err := shutdownWithin(t, shutdown, time.Second); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}()
	if _, ok := otel.GetTracerProvider().(*sdktrace.TracerProvider); !ok {
		t.Fatalf("global provider is %T, want *sdktrace.TracerProvider", otel.GetTracerProvider())
	}
	ctx, span := otel.Tracer("test").Start(context.Background(), "op")
	defer span.End()
	if !span.SpanContext().IsValid() || !span.SpanContext().IsSampled() {
		t.Errorf("span context %v: want valid and sampled", span.SpanContext())
	}
	carrier := propagation.MapCarrier{}
	otel.GetTextMapPropagator().Inject(ctx, carrier)
	if !strings.Contains(carrier.Get("traceparent"), span.SpanContext().TraceID().String()) {
		t.Errorf("traceparent = %q, want trace ID %s", carrier.Get("traceparent"), span.SpanContext().TraceID())
	}
}

func TestSetupSDKDisabled(t *testing.T) {
	// The invalid protocol shows that nothing else is even looked at.
	isolate(t, map[string]string{envSDKDisabled: "TRUE", envProtocol: "bogus"})
	shutdown := mustSetup(t)
	if err := shutdown(context.Background()); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	if _, ok := otel.GetTracerProvider().(*sdktrace.TracerProvider); ok {
		t.Error("SDK disabled but an SDK TracerProvider is installed")
	}
	// The propagator is installed: incoming context still flows out.
	in := propagation.MapCarrier{"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "baggage": "k=v"}
	ctx := otel.GetTextMapPropagator().Extract(context.Background(), in)
	out := propagation.MapCarrier{}
	otel.GetTextMapPropagator().Inject(ctx, out)
	if out.Get("traceparent") != in.Get("traceparent") || out.Get("baggage") != "k=v" {
		t.Errorf("propagated %v, want %v", out, in)
	}
}

func TestSetupPropagators(t *testing.T) {
	tests := []struct {
		env        string
		wantFields []string
	}{
		{"", []string{"traceparent", "tracestate", "baggage"}},
		{"tracecontext", []string{"traceparent", "tracestate"}},
		{"baggage , tracecontext", []string{"baggage", "traceparent", "tracestate"}},
		{"none", nil},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			isolate(t, map[string]string{envPropagators: tt.env, envTracesExporter: "none"})
			shutdown := mustSetup(t)
			defer shutdown(context.Background())
			got := otel.GetTextMapPropagator().Fields()
			slices.Sort(got)
			slices.Sort(tt.wantFields)
			if !slices.Equal(got, tt.wantFields) {
				t.Errorf("fields = %q, want %q", got, tt.wantFields)
			}
		})
	}
}

func TestSetupConsole(t *testing.T) {
	isolate(t, map[string]string{envTracesExporter: "console"})
	var out syncbuf.Buffer
	shutdown := mustSetup(t, optionFunc(func(c *config) { c.stdout = &out }))
	_, span := otel.Tracer("test").Start(context.Background(), "printed span")
	span.End()
	if err := shutdownWithin(t, shutdown, 5*time.Second); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if !strings.Contains(out.String(), `"Name":"printed span"`) {
		t.Errorf("console output does not contain the span: %s", out.String())
	}
}

// TestSamplerFromEnv verifies that the provider built by Setup reads
// OTEL_TRACES_SAMPLER, and that the default is parentbased_always_on.
func TestSamplerFromEnv(t *testing.T) {
	unsampledParent := trace.ContextWithRemoteSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}, Remote: true,
	}))
	tests := []struct {
		name        string
		env         map[string]string
		parent      context.Context
		wantSampled bool
	}{
		{name: "default samples roots", wantSampled: true},
		{name: "default follows unsampled parent", parent: unsampledParent, wantSampled: false},
		{name: "always_off", env: map[string]string{"OTEL_TRACES_SAMPLER": "always_off"}, wantSampled: false},
		{name: "traceidratio 0", env: map[string]string{"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0"}, wantSampled: false},
		{name: "always_on ignores parent", env: map[string]string{"OTEL_TRACES_SAMPLER": "always_on"}, parent: unsampledParent, wantSampled: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolate(t, tt.env)
			exp := tracetest.NewInMemoryExporter()
			shutdown := mustSetup(t, WithExporter(exp))
			ctx := tt.parent
			if ctx == nil {
				ctx = context.Background()
			}
			_, span := otel.Tracer("test").Start(ctx, "op")
			span.End()
			if got := span.SpanContext().IsSampled(); got != tt.wantSampled {
				t.Errorf("sampled = %v, want %v", got, tt.wantSampled)
			}
			// The in-memory exporter forgets its spans on Shutdown, so
			// count them through the processor's flush first.
			if err := otel.GetTracerProvider().(*sdktrace.TracerProvider).ForceFlush(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got, want := len(exp.GetSpans()), map[bool]int{true: 1, false: 0}[tt.wantSampled]; got != want {
				t.Errorf("exported %d spans, want %d", got, want)
			}
			if err := shutdownWithin(t, shutdown, 5*time.Second); err != nil {
				t.Errorf("shutdown: %v", err)
			}
		})
	}
}

// blockingExporter blocks every export until release is closed, like an
// exporter stuck on a collector that does not answer.
type blockingExporter struct {
	release chan struct{}
	mu      sync.Mutex
	n       int
}

func (e *blockingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	select {
	case <-e.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.n += len(spans)
	return nil
}

func (e *blockingExporter) Shutdown(context.Context) error { return nil }

// TestQueueBounded checks that the batch span processor reads OTEL_BSP_*
// and drops spans rather than buffering them without bound or blocking
// when the exporter is stuck.
func TestQueueBounded(t *testing.T) {
	isolate(t, map[string]string{
		"OTEL_BSP_MAX_QUEUE_SIZE":        "10",
		"OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "5",
		"OTEL_BSP_SCHEDULE_DELAY":        "10",
	})
	exp := &blockingExporter{release: make(chan struct{})}
	shutdown := mustSetup(t, WithExporter(exp))

	const spans = 1000
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range spans {
			_, s := otel.Tracer("test").Start(context.Background(), "op")
			s.End()
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("creating spans blocked while the exporter was stuck")
	}
	close(exp.release)
	if err := shutdownWithin(t, shutdown, 10*time.Second); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	// At most one batch in the stuck export plus a full queue survive.
	if exp.n == 0 || exp.n > 5+10 {
		t.Errorf("exported %d of %d spans, want 1..15 (queue 10 + batch 5)", exp.n, spans)
	}
}

type logLine struct {
	Level     string
	Msg       string
	Failures  int
	Dropped   int `json:"dropped_spans"`
	QueueFull int `json:"queue_full"`
	Error     string
}

func parseLog(t *testing.T, s string) []logLine {
	t.Helper()
	var lines []logLine
	for l := range strings.Lines(s) {
		var ll logLine
		if err := json.Unmarshal([]byte(l), &ll); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		lines = append(lines, ll)
	}
	return lines
}

// waitFor polls cond until it holds or the generous deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestUnreachableCollector(t *testing.T) {
	for _, protocol := range []string{"grpc", "http/protobuf"} {
		t.Run(protocol, func(t *testing.T) {
			isolate(t, map[string]string{
				envProtocol:                   protocol,
				"OTEL_EXPORTER_OTLP_ENDPOINT": closedEndpoint(t),
				"OTEL_EXPORTER_OTLP_TIMEOUT":  "200", // ms; read by the exporter itself
				"OTEL_BSP_SCHEDULE_DELAY":     "20",
			})
			var logs syncbuf.Buffer
			logger := slog.New(slog.NewJSONHandler(&logs, nil))

			setupDone := make(chan struct{})
			var shutdown func(context.Context) error
			go func() {
				defer close(setupDone)
				shutdown = mustSetup(t, WithServiceName("lonely"), WithLogger(logger))
			}()
			select {
			case <-setupDone:
			case <-time.After(10 * time.Second):
				t.Fatal("Setup blocked on an unreachable collector")
			}

			// Create spans until the first failure is reported and for a
			// while after, so several exports fail.
			stop := make(chan struct{})
			loopDone := make(chan int)
			go func() {
				n := 0
				for {
					select {
					case <-stop:
						loopDone <- n
						return
					default:
					}
					_, s := otel.Tracer("test").Start(context.Background(), "op")
					s.End()
					n++
				}
			}()
			waitFor(t, "the first loss report", func() bool { return strings.Contains(logs.String(), "spans dropped") })
			time.Sleep(time.Second)
			close(stop)
			var created int
			select {
			case created = <-loopDone:
			case <-time.After(10 * time.Second):
				t.Fatal("span creation blocked on an unreachable collector")
			}

			start := time.Now()
			err := shutdownWithin(t, shutdown, time.Second)
			if elapsed := time.Since(start); elapsed > 3*time.Second {
				t.Errorf("shutdown with a 1s deadline took %v", elapsed)
			}
			if err == nil {
				t.Error("shutdown returned nil although no span could be delivered")
			}
			t.Logf("created %d spans; shutdown: %v", created, err)

			// The exporter's own shutdown, which reports the losses not yet
			// reported, may finish after our deadline. Every span created
			// is lost, and every one is counted: in failed exports or
			// dropped from the full queue.
			lost := func() (n int) {
				for _, l := range parseLog(t, logs.String()) {
					n += l.Dropped
				}
				return n
			}
			waitFor(t, "every span counted as lost", func() bool { return lost() == created })
			lines := parseLog(t, logs.String())
			if first := lines[0]; first.Level != "WARN" || first.Dropped == 0 {
				t.Errorf("first report = %+v, want WARN with dropped spans", first)
			}
			failures, queueFull, withError := 0, 0, false
			for _, l := range lines {
				failures += l.Failures
				queueFull += l.QueueFull
				// The reason, not only the timeout that ended the retries.
				withError = withError || strings.Contains(l.Error, "connection refused")
			}
			if len(lines) > 3 || failures <= 1 || queueFull == 0 || !withError {
				t.Errorf("%d failures and %d queue-full drops reported in %d lines, want a few lines summarising many of both, with the error (connection refused):\n%s",
					failures, queueFull, len(lines), logs.String())
			}
		})
	}
}

// failingExporter fails while err is set.
type failingExporter struct{ err error }

func (e *failingExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return e.err }
func (e *failingExporter) Shutdown(context.Context) error                             { return nil }

func TestLoggingExporterRateLimit(t *testing.T) {
	boom := errors.New("boom")
	type step struct {
		at       time.Duration // fake time since start
		err      error         // nil: the export succeeds
		shutdown bool
		want     string // log line expected from this step, "" for none
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"first failure logged at once, then suppressed", []step{
			{at: 0, err: boom, want: "WARN failures=1"},
			{at: time.Second, err: boom},
			{at: 2 * time.Second, err: boom},
			{at: 61 * time.Second, err: boom, want: "WARN failures=3"},
			{at: 62 * time.Second, err: boom},
			{shutdown: true, want: "WARN failures=1"},
		}},
		{"recovery noted once", []step{
			{at: 0, err: boom, want: "WARN failures=1"},
			{at: time.Second, err: boom},
			{at: 2 * time.Second, want: "INFO failures=1"},
			{at: 3 * time.Second},
			{at: 4 * time.Second, err: boom}, // rate limited
			{at: 5 * time.Second},            // not announced, so no recovery line
			{shutdown: true, want: "WARN failures=1"},
		}},
		{"nothing to report", []step{
			{at: 0},
			{shutdown: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			next := &failingExporter{}
			e := newLoggingExporter(next, slog.New(slog.NewJSONHandler(&buf, nil)), time.Minute)
			start := time.Unix(0, 0)
			for i, s := range tt.steps {
				buf.Reset()
				var err error
				if s.shutdown {
					err = e.Shutdown(context.Background())
				} else {
					next.err = s.err
					e.now = func() time.Time { return start.Add(s.at) }
					err = e.ExportSpans(context.Background(), make([]sdktrace.ReadOnlySpan, 2))
				}
				if err != nil {
					t.Errorf("step %d: error %v, want nil", i, err)
				}
				got := ""
				if buf.Len() > 0 {
					lines := parseLog(t, buf.String())
					if len(lines) != 1 {
						t.Fatalf("step %d: %d lines, want at most 1", i, len(lines))
					}
					got = lines[0].Level + " failures=" + strconv.Itoa(lines[0].Failures)
				}
				if got != s.want {
					t.Errorf("step %d: logged %q, want %q", i, got, s.want)
				}
			}
		})
	}
}

// TestBlackHoleCollector: an endpoint that accepts connections and never
// answers holds every export until its timeout (10 s by default, then
// retries), so no export fails for a long while; the spans that pile up
// meanwhile are dropped from the full queue, and that is said at once,
// with the count.
func TestBlackHoleCollector(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conns := make(chan net.Conn, 100)
	go func() {
		for {
			c, err := lis.Accept()
			if err != nil {
				close(conns)
				return
			}
			conns <- c // read nothing, answer nothing
		}
	}()
	t.Cleanup(func() {
		lis.Close()
		for c := range conns {
			c.Close()
		}
	})
	isolate(t, map[string]string{
		envProtocol:                   protocolHTTPProtobuf,
		"OTEL_EXPORTER_OTLP_ENDPOINT": "http://" + lis.Addr().String(),
		"OTEL_BSP_MAX_QUEUE_SIZE":     "100",
		"OTEL_BSP_SCHEDULE_DELAY":     "20",
	})
	var logs syncbuf.Buffer
	shutdown := mustSetup(t, WithServiceName("lonely"), WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	for range 1000 {
		_, s := otel.Tracer("test").Start(context.Background(), "op")
		s.End()
	}
	waitFor(t, "the queue-full report", func() bool { return strings.Contains(logs.String(), "span queue full") })
	first := parseLog(t, logs.String())[0]
	if first.Level != "WARN" || first.QueueFull == 0 || first.Dropped != first.QueueFull {
		t.Errorf("first report = %+v, want WARN counting the spans dropped from the full queue", first)
	}
	shutdownWithin(t, shutdown, 100*time.Millisecond)
}
