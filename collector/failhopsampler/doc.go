// Package failhopsampler is a tail sampling policy for the collector's
// tail_sampling processor (an extension of type "failhop_sampler"): it
// keeps every trace that has a failed span by failhop's one definition,
// analyzer.Failed: span status Error, the legacy error tag, an HTTP 5xx
// (current or legacy attribute name) on any span, a gRPC server-fault code
// (either attribute name), or a recorded exception on a span with no other
// verdict.
//
// The failhop processor, after tail_sampling, analyzes the traces that
// failed with the same rule, so a trace whose failure the analyzer would
// explain is never sampled out, whatever convention its services use.
// Tail sampling's own status_code and numeric_attribute policies each
// see one convention only.
//
// With metrics set, it also counts every trace it evaluates, by the hop
// where its failure started, and serves the failure metrics to Prometheus
// on metrics::endpoint (/metrics, OpenMetrics with exemplars when asked):
//
//	failhop_requests_total{entry_service, entry_operation}
//	failhop_failed_requests_total{entry_service, entry_operation}
//	failhop_failing_hops_total{entry_service, entry_operation, origin_service, origin_operation, cause, origin_version}
//	failhop_metrics_overflow_total{metric}
//
// tail_sampling evaluates each trace once, at its decision, with all the
// spans it received: the counts are exact, before sampling, as long as
// this policy comes first and sample_on_first_match is off. The entry is
// the trace's root span, or the span the analysis starts at when the root
// never arrived; a failing hop is labelled by its origin span's service,
// analyzer.Hop.OriginOperation, cause and service.version, with the
// trace_id and span_id of a recent failure as exemplar. Each metric keeps
// at most metrics::max_series label sets (2000); beyond, the SDK's
// overflow series (otel_metric_overflow="true"), counted by
// failhop_metrics_overflow_total.
//
//	extensions:
//	  failhop_sampler:
//	    metrics:
//	      endpoint: 127.0.0.1:8889
//	processors:
//	  tail_sampling:
//	    policies:
//	      - name: failed
//	        type: failhop_sampler
//	service:
//	  extensions: [failhop_sampler]
package failhopsampler
