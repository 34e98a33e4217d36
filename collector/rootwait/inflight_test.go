package rootwait

import (
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// TestInFlightBound: requests that would start traces past 90% of
// max_traces are refused with a retryable error, counted and logged
// once; spans of traces in flight still pass; once their decision wait is
// over, the traces make room again.
func TestInFlightBound(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	f := newInFlight(10, 2*time.Second, zap.New(core)) // bound: 9 traces
	now := time.Now()
	for n := range 9 {
		if err := f.admit(batch(byte(n+1)), now); err != nil {
			t.Fatalf("trace %d of 9: %v", n+1, err)
		}
	}
	err := f.admit(batch(10), now)
	if err == nil || consumererror.IsPermanent(err) || !strings.Contains(err.Error(), "send it again") {
		t.Fatalf("the 10th trace: %v, want a retryable refusal", err)
	}
	if err := f.admit(batch(3), now); err != nil {
		t.Errorf("a trace in flight was refused: %v", err)
	}
	f.admit(batch(11), now.Add(time.Second))
	if got := logs.FilterMessageSnippet("refusing new traces").Len(); got != 1 {
		t.Errorf("%d warnings for two refusals within a second, want 1", got)
	}
	if err := f.admit(batch(10), now.Add(3*time.Second+time.Millisecond)); err != nil {
		t.Errorf("after the decision wait, a new trace was still refused: %v", err)
	}
}
