// Package exporters sets up OpenTelemetry tracing for a failhop service in
// one call: [Setup] builds a TracerProvider with a resource, an OTLP trace
// exporter behind a bounded batch span processor, and installs it together
// with the W3C propagators as the OpenTelemetry globals.
//
// # Configuration
//
// Code passes what it knows at build time ([WithServiceName],
// [WithServiceVersion], [WithEnvironment]); operators adjust the rest with the
// standard OpenTelemetry environment variables, read once by Setup:
//
//   - OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES: resource attributes. They
//     override the options above: the options are defaults compiled into the
//     binary, the environment describes the actual deployment (the same
//     binary runs as "staging" and "production"), so the operator must win
//     without a rebuild. This mirrors the Go SDK's [resource.Default], where
//     the environment overrides what the SDK detects; note that it is the
//     reverse of the order in the specification's wording ("user provided
//     resource information has higher priority"). OTEL_SERVICE_NAME wins over
//     service.name in OTEL_RESOURCE_ATTRIBUTES. Without any service name the
//     SDK convention unknown_service:<executable> is used.
//   - OTEL_TRACES_EXPORTER: comma-separated list of "otlp" (default),
//     "console" (one JSON object per span on stdout, for local debugging) or
//     "none". With "none" spans are still created, sampled and propagated, so
//     trace IDs exist for log correlation, but nothing is exported. Any other
//     value (zipkin, ...) makes Setup fail.
//   - OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, then OTEL_EXPORTER_OTLP_PROTOCOL:
//     "grpc" (default) or "http/protobuf". Any other value (including
//     "http/json", which the Go exporters do not implement) makes Setup fail
//     with an error naming the variable and the accepted values.
//   - OTEL_EXPORTER_OTLP_ENDPOINT, *_HEADERS, *_TIMEOUT, *_INSECURE,
//     *_CERTIFICATE, *_CLIENT_CERTIFICATE, *_CLIENT_KEY, *_COMPRESSION
//     (gzip or none), each also as OTEL_EXPORTER_OTLP_TRACES_*, which wins:
//     where and how spans are sent, read as the SDK's OTLP exporters
//     (otlptracegrpc, otlptracehttp) read them. Unlike them, Setup refuses
//     a malformed value (a timeout that is not a number of milliseconds,
//     an unreadable certificate, a header without "=") with an error that
//     names the variable.
//
// # The OTLP exporter
//
// By default the spans are sent by failhop's OTLP exporter rather than the
// SDK's: it sends the same data over the same protocols (a test compares
// the two requests field by field; it also sends a link's trace state,
// which the SDK's leaves out), and retries as the SDK's does, but converts
// the spans into the OpenTelemetry Collector's pdata and marshals them
// with pdata's generated code instead of protobuf-go's generic one: an
// exported span costs about half the CPU (docs/performance.md).
// [WithSDKExporter] selects the SDK's exporters instead.
//   - OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG: read by
//     [sdktrace.NewTracerProvider], which Setup calls without a sampler so the
//     variables take effect. The default, when unset, is parentbased_always_on
//     and that is the recommended setting for failhop: the failhop collector
//     does tail sampling, which needs every span; head sampling in the service
//     would throw away the traces tail sampling wants to keep (errors, slow
//     requests). An invalid value is reported through the OpenTelemetry error
//     handler and the default is used.
//   - OTEL_BSP_SCHEDULE_DELAY, OTEL_BSP_EXPORT_TIMEOUT, OTEL_BSP_MAX_QUEUE_SIZE,
//     OTEL_BSP_MAX_EXPORT_BATCH_SIZE: read by [sdktrace.NewBatchSpanProcessor].
//     A failed request's spans do not wait for the schedule delay: see
//     below.
//   - FAILHOP_EXPORT_ON_ERROR: "true" (default) or "false"; false turns
//     the early export of failed requests off, so that every span waits
//     for the batch span processor's schedule, as with the SDK alone.
//     Any other value makes Setup fail.
//   - OTEL_PROPAGATORS: comma-separated list of "tracecontext", "baggage"
//     (default: both) or "none". Other propagators (b3, jaeger, xray, ottrace)
//     need extra modules and make Setup fail rather than being silently
//     ignored.
//   - OTEL_SDK_DISABLED=true: no TracerProvider is installed and nothing is
//     exported (spans are no-ops), but the propagator is still installed, so
//     incoming trace context keeps flowing to downstream services and into
//     logs. Setup then returns a no-op shutdown function.
//
// # Failed requests are exported at once
//
// The batch span processor exports every OTEL_BSP_SCHEDULE_DELAY (5 s by
// default), so a failed request's spans would reach the failhop collector
// up to 5 s after it ended, and the collector, which decides a trace once
// its root span is in and the other services' spans can be too, would
// have to wait that long for every trace. Instead, when a local root span
// (one whose parent is in another process, or that has none: typically
// the server span of a request) ends with status Error, Setup has the
// batch span processor export what it holds at once ([sdktrace.SpanProcessor]'s
// ForceFlush), the failed request's spans with everything queued before
// them. A server span ends before its caller has the answer, so the
// export is asked for before the caller's own spans end: by the time the
// trace's root span ends and is exported, the failed hops below it are on
// their way (an export takes milliseconds), and the failhop collector's
// default root wait (FAILHOP_ROOT_WAIT, 500ms) covers them, and the failing
// hop is searchable in Jaeger within 2 s of the response.
//
// Successful requests, and errors that a request survived (a failed call
// retried, with the server span not failed), keep the schedule and its
// large batches: the check costs about 120 instructions (10 ns) per span,
// no allocation, against some 55,000 to make and export one. The early
// exports of one process run one at a time, at most one every 100 ms: when
// every request fails (a dependency down), each carries all the spans
// queued since the last, rather than one export per request.
// docs/performance.md has the figures, docs/pipeline.md the collector's
// side.
//
// [WithExporter] replaces the exporter chosen from the environment
// (OTEL_TRACES_EXPORTER and the protocol variables are then ignored).
//
// # Failure behaviour
//
// Tracing must never take the service down or slow it. Setup does not
// connect to the collector (gRPC connects lazily). Ended spans go to a batch
// span processor whose queue is bounded (2048 spans unless
// OTEL_BSP_MAX_QUEUE_SIZE says otherwise) and which never blocks: when the
// collector is slow or down, spans that do not fit are dropped, so memory
// stays bounded. Every span lost is counted, in failed exports and dropped
// from the full queue (which the SDK does silently: Setup counts what is in
// the queue), and logged through the [slog.Logger] given with [WithLogger]:
// the first loss immediately, then at most once a minute with the number of
// failures and dropped spans since the previous report (dropped_spans, of
// which queue_full from the queue), plus a summary on shutdown and a note
// when exports succeed again. An endpoint that never answers (every export
// waits for its timeout) fills the queue: that is reported as soon as it
// happens, well before the first export times out. (The SDK would otherwise
// print every failed batch through the global error handler.) The shutdown
// function returned by Setup flushes the queue, gives up at the caller's
// context deadline, and returns an error when spans could not be delivered.
//
// # Why not autoexport
//
// go.opentelemetry.io/contrib/exporters/autoexport implements the same
// environment variables, but it imports the metric and log exporters,
// including the Prometheus exporter and client, into every program that uses
// it. failhop only exports traces, and this package is linked into our
// users' services, so it selects the two OTLP trace exporters (and the small
// stdout one) itself and keeps their dependency graph small.
package exporters
