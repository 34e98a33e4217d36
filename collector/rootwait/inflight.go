package rootwait

import (
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"

	"github.com/failhop/failhop/collector/internal/throttled"
)

// admitShare is the share of max_traces root_wait lets be in flight:
// below tail_sampling's num_traces (the same number), so that tail
// sampling never has to evict a trace to make room, which would cut the
// trace before its decision.
const admitShare = 0.9

// inFlight counts the traces tail sampling holds, as root_wait sees them
// pass: a trace is in flight from its first span until its decision wait
// (and a second, tail sampling's tick) has passed. A batch that would
// start traces beyond the bound is refused whole, with an error the
// receiver answers as retryable (UNAVAILABLE, 503): its sender sends it
// again, when decisions have made room.
type inFlight struct {
	bound int
	hold  time.Duration // how long a trace counts, from its first span
	log   *zap.Logger

	mu     sync.Mutex
	traces map[pcommon.TraceID]bool
	order  []seenTrace // by first span, the oldest first
	// the refused spans and requests since the last warning, which comes
	// at most once a throttled.Every
	refusals throttled.Counts
}

type seenTrace struct {
	id      pcommon.TraceID
	expires time.Time
}

func newInFlight(maxTraces int, decisionWait time.Duration, log *zap.Logger) *inFlight {
	if maxTraces <= 0 {
		return nil
	}
	return &inFlight{bound: max(1, int(float64(maxTraces)*admitShare)), hold: decisionWait + time.Second, log: log,
		traces: map[pcommon.TraceID]bool{}}
}

// admit counts the traces td starts and returns nil, or, when they would
// take the traces in flight past the bound, counts nothing and returns
// why td is refused. A nil inFlight admits everything.
func (f *inFlight) admit(td ptrace.Traces, now time.Time) error {
	if f == nil {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.expire(now)
	var fresh []pcommon.TraceID
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, s := range ss.Spans().All() {
				id := s.TraceID()
				if !f.traces[id] && (len(fresh) == 0 || fresh[len(fresh)-1] != id) {
					fresh = append(fresh, id)
				}
			}
		}
	}
	if len(fresh) > 0 && len(f.traces)+len(fresh) > f.bound {
		f.refused(td.SpanCount(), now)
		return fmt.Errorf("root_wait: %d traces in flight, and this request would start %d more: past the bound of %d (%.0f%% of max_traces), refused so that tail sampling need not drop traces; send it again", len(f.traces), len(fresh), f.bound, admitShare*100)
	}
	for _, id := range fresh {
		if !f.traces[id] {
			f.traces[id] = true
			f.order = append(f.order, seenTrace{id, now.Add(f.hold)})
		}
	}
	return nil
}

// expire forgets the traces whose decision wait has passed.
func (f *inFlight) expire(now time.Time) {
	n := 0
	for n < len(f.order) && !f.order[n].expires.After(now) {
		delete(f.traces, f.order[n].id)
		n++
	}
	if n > 0 {
		f.order = append(f.order[:0], f.order[n:]...)
	}
}

// refused counts a refused batch and logs the refusals at most once a
// throttled.Every, with their counts.
func (f *inFlight) refused(spans int, now time.Time) {
	n, ok := f.refusals.Add(now, spans, 1)
	if !ok {
		return
	}
	f.log.Warn("root_wait: refusing new traces (retryable) while tail sampling is full: senders send them again; raise FAILHOP_MAX_TRACES and the memory, or add gateways",
		zap.Int("refused_requests", n[1]), zap.Int("refused_spans", n[0]),
		zap.Int("traces_in_flight", len(f.traces)), zap.Int("bound", f.bound))
}
