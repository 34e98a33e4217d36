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
//	extensions:
//	  failhop_sampler:
//	processors:
//	  tail_sampling:
//	    policies:
//	      - name: failed
//	        type: failhop_sampler
//	service:
//	  extensions: [failhop_sampler]
package failhopsampler
