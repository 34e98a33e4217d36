// Package failhopprocessor is the collector side of failhop: a traces
// processor (type "failhop") that runs failhop's root-cause analyzer
// (package analyzer) on every failed trace that passes through the
// collector and writes the answer onto the spans, so that a trace store
// such as Jaeger can search for it:
//
//   - failhop.root_cause = true (bool) on the origin span of each fatal hop
//     (analyzer.Report.Hops: the span where the error that broke the
//     request started), with failhop.root_cause.rank (int, 1 = most likely);
//   - failhop.failing_hop (string, hop 1 in words, such as
//     "inventory → sqlite SELECT stock") and failhop.failing_hop.cause
//     (hop 1's cause, such as "db_error") on the trace's root span.
//
// Only traces whose root request failed (analyzer.Report.Failed) are
// marked. The processor owns these keys: it removes them from every span
// it sees before marking, so that a service cannot plant them.
//
// # It must see whole traces
//
// The analyzer needs every span of a trace at once. A collector receives a
// trace's spans in pieces, from several services, over a few seconds, so the
// processor must come after a processor that gathers them:
// tail_sampling (which holds each trace for decision_wait and releases the
// spans of a kept trace together) or groupbytrace (which holds each trace
// for wait_duration). The processor itself does not wait or buffer; it
// analyzes each trace of each batch it is given. A span that arrives after
// its trace was released (a service that exports late, or a trace that
// lasts longer than the wait) is analyzed with whatever else arrived with
// it, which usually gives no marks.
//
// The wait is the trade-off: a longer decision_wait catches slower and
// longer requests whole, at the cost of memory (every trace of the last
// decision_wait seconds is held) and of latency before a trace shows up in
// the store. See docs/pipeline.md.
//
// # Cost
//
// Spans are converted from pdata to analyzer.Trace directly. A first pass
// over the batch looks for failed spans (analyzer.Failed, the rule the
// failhop sampler keeps traces by) and a trace without one is passed on
// untouched: its root cannot have failed. Only failed traces are
// converted (the analyzer's spans from one arena per batch, attribute maps
// from a pool) and analyzed. BenchmarkProcessor measures it; the collector's
// throughput with and without the processor is in
// docs/performance.md ("Pipeline").
package failhopprocessor
