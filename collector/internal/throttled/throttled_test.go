package throttled

import (
	"slices"
	"testing"
	"time"
)

// TestCounts: the first count is logged at once; counts within Every of
// it wait, and are all in the next line after Every.
func TestCounts(t *testing.T) {
	var c Counts
	t0 := time.Now()
	for _, step := range []struct {
		at     time.Duration
		counts []int
		log    []int // nil: no line
	}{
		{0, []int{5, 1}, []int{5, 1}},
		{time.Second, []int{3, 1}, nil},
		{Every - time.Millisecond, []int{2, 1}, nil},
		{Every, []int{1, 1}, []int{6, 3}},
		{Every + time.Second, []int{4, 1}, nil},
	} {
		got, ok := c.Add(t0.Add(step.at), step.counts...)
		if ok != (step.log != nil) || !slices.Equal(got, step.log) {
			t.Errorf("Add at %v: %v, %v; want %v", step.at, got, ok, step.log)
		}
	}
	if p := c.Pending(); !slices.Equal(p, []int{4, 1}) {
		t.Errorf("pending %v, want [4 1]", p)
	}
}
