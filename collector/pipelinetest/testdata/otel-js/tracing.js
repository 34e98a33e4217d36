'use strict';
// OpenTelemetry setup for the test services. Load it before the app:
//
//   node --require ./tracing.js back.js
//
// Everything is configured through the standard OTEL_* environment variables:
//   OTEL_SERVICE_NAME            service.name of the resource
//   OTEL_EXPORTER_OTLP_ENDPOINT  base URL of the collector's OTLP/HTTP receiver
//                                (e.g. http://127.0.0.1:4318; /v1/traces is appended),
//                                or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (full URL)
//   OTEL_BSP_SCHEDULE_DELAY, OTEL_BSP_MAX_EXPORT_BATCH_SIZE, ...  batch span processor
//   OTEL_TRACES_EXPORTER         unset: OTLP http/protobuf exporter below;
//                                set (e.g. "console"): the SDK picks the exporter itself
//   OTEL_LOG_LEVEL               SDK diagnostics (e.g. "debug") on stderr
//
// Only traces are exported: no metrics, no logs.

const { NodeSDK } = require('@opentelemetry/sdk-node');
const { getNodeAutoInstrumentations } = require('@opentelemetry/auto-instrumentations-node');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const FastifyOtelInstrumentation = require('@fastify/otel');

// Readiness probes are not part of the traces under test.
const ignoredPaths = new Set(['/healthz']);

const sdk = new NodeSDK({
  // With traceExporter set, the SDK wraps it in a BatchSpanProcessor configured
  // from OTEL_BSP_*. (BatchSpanProcessor itself no longer reads the environment.)
  traceExporter: process.env.OTEL_TRACES_EXPORTER ? undefined : new OTLPTraceExporter(),
  metricReaders: [],
  logRecordProcessors: [],
  instrumentations: [
    getNodeAutoInstrumentations({
      '@opentelemetry/instrumentation-fs': { enabled: false },
      '@opentelemetry/instrumentation-dns': { enabled: false },
      '@opentelemetry/instrumentation-net': { enabled: false },
      // Express 5 routes through the separate `router` package, which this
      // instrumentation patches as well: with it on, every express layer gets a
      // second, duplicate span (plus a bogus "middleware - patched" span). The
      // express instrumentation alone gives one span per layer.
      '@opentelemetry/instrumentation-router': { enabled: false },
      '@opentelemetry/instrumentation-http': {
        ignoreIncomingRequestHook: (req) => ignoredPaths.has((req.url || '').split('?')[0]),
      },
    }),
    // fastify's own spans ("request", "handler - <route>", hooks), on every
    // fastify instance the app creates.
    new FastifyOtelInstrumentation({ registerOnInitialization: true }),
  ],
});

sdk.start();

// On SIGTERM/SIGINT: flush and shut the SDK down, then exit 0. A flush that
// fails or hangs (collector gone) is reported on stderr and does not block the
// exit for more than SHUTDOWN_TIMEOUT_MS.
const SHUTDOWN_TIMEOUT_MS = 5000;
let shuttingDown = false;

function shutdown(signal) {
  if (shuttingDown) return;
  shuttingDown = true;
  const timer = setTimeout(() => {
    console.error(`otel: shutdown after ${signal} timed out after ${SHUTDOWN_TIMEOUT_MS} ms`);
    process.exit(0);
  }, SHUTDOWN_TIMEOUT_MS);
  sdk.shutdown().then(
    () => {
      clearTimeout(timer);
      console.log(`otel: spans flushed, exiting after ${signal}`);
      process.exit(0);
    },
    (err) => {
      clearTimeout(timer);
      console.error(`otel: shutdown after ${signal} failed: ${err && err.message}`);
      process.exit(0);
    },
  );
}

process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
