// Package analyzer finds the failing hop of a trace: of all the error spans
// of a request that failed, the one that made it fail, across services, with
// what kind of failure it was and what to check first. It reads traces from
// any OpenTelemetry-instrumented service, and uses failhop's marks
// (failhop.origin, failhop.propagated, failhop.cause) when they are there.
//
// The package does no I/O: package tracejson reads traces from Jaeger's and
// OTLP's JSON, and the failhop CLI and collector processor call Analyze.
package analyzer
