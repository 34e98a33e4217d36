// Package otlpconv converts OpenTelemetry traces as pdata holds them
// (ptrace.Traces: what the collector receives, what OTLP JSON and protobuf
// decode to) into the analyzer's model (package analyzer), and tests pdata
// spans with analyzer.Failed without converting them.
//
// It is the one converter of OTLP data: the failhop collector processor
// and sampler use it on what the collector holds, package tracejson on
// OTLP JSON (files, Jaeger's /api/v3), so that a trace reads the same
// wherever it comes from.
//
//   - Convert and NewResource convert one span at a time.
//   - Converter converts the spans of a batch, reusing memory.
//   - FailureTest says whether a span failed, reading only what
//     analyzer.Failed reads.
//   - Entry finds the span analyzer.Analyze starts a trace at.
package otlpconv
