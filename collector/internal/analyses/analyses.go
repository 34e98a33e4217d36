// Package analyses hands the analysis of a trace from failhop_sampler,
// which analyzes each failed trace as tail sampling decides it (to count
// the failure metrics), to the failhop processor, which marks the same
// trace when tail sampling releases it a moment later: the trace is
// analyzed once, not twice. Both run in one collector process; what the
// processor does not take (a trace sampled out, a processor that is not
// in the pipeline) is forgotten once Capacity newer analyses came.
package analyses

import (
	"sync"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/failhop/failhop/analyzer"
)

// Capacity is how many analyses wait for the processor at most.
const Capacity = 10000

var (
	mu      sync.Mutex
	reports = map[pcommon.TraceID]analyzer.Report{}
	order   []pcommon.TraceID // the oldest first
)

// Put keeps r, the analysis of the trace tail sampling is deciding, for
// the processor.
func Put(id pcommon.TraceID, r analyzer.Report) {
	mu.Lock()
	defer mu.Unlock()
	if _, ok := reports[id]; !ok {
		order = append(order, id)
	}
	reports[id] = r
	for len(order) > Capacity {
		delete(reports, order[0])
		order = order[1:]
	}
}

// Take returns the analysis of trace id, and forgets it.
func Take(id pcommon.TraceID) (analyzer.Report, bool) {
	mu.Lock()
	defer mu.Unlock()
	r, ok := reports[id]
	if ok {
		delete(reports, id)
	}
	return r, ok
}
