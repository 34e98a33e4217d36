// Package failhopmetrics is the failhop_metrics exporter: it counts
// requests, failed requests and failing hops, by the hop where each
// failure started, and serves the counts as Prometheus metrics.
//
// It sits in a traces pipeline of its own, fed by the same receiver as
// the sampling pipeline, behind groupbytrace, so that it sees every trace
// whole and before tail sampling chooses what to keep: the counts, and the
// ratios of them, are exact whatever sampling keeps. Each trace is
// analyzed with package analyzer, as `failhop why` and the failhop
// processor analyze it:
//
//	failhop_requests_total{entry_service, entry_operation}
//	failhop_failed_requests_total{entry_service, entry_operation}
//	failhop_failing_hops_total{entry_service, entry_operation, origin_service, origin_operation, cause, origin_version}
//
// The entry is the trace's root span, or, where the root never arrives,
// the span the analysis starts at. A failed request counts once per
// failing hop, under the origin span's service, operation (a span name or
// a route or URL template, never an ID: analyzer.Hop.Operation), cause and
// service.version; each failing-hop series carries an exemplar with the
// trace_id and span_id of a recent failure, in the OpenMetrics exposition.
//
// Each metric holds at most max_series label sets; a new one beyond that
// is counted in the series whose only label is otel_metric_overflow="true",
// and in failhop_metrics_overflow_total{metric}. The exposition is the
// OpenTelemetry Go SDK's Prometheus exporter, served by client_golang's
// promhttp on endpoint (/metrics).
package failhopmetrics
