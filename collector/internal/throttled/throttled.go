// Package throttled counts an event that can happen many times a second
// (a refusal, a put-off write, an incomplete trace) so that a component
// logs it at most once an interval, with how often it happened since its
// last line: every time is counted, in a metric and in the next line.
package throttled

import (
	"sync"
	"time"
)

// Every is how often, at most, failhop's collector components log one
// repeated event.
const Every = 10 * time.Second

// Counts are the counts of one event since it was last logged. The zero
// value is ready: the first Add logs.
type Counts struct {
	mu      sync.Mutex
	pending []int
	logged  time.Time
}

// Add adds counts (one per quantity, always in the same order) at now.
// When Every has passed since the last log line, it returns the counts
// since then and true, and the caller logs them; the counting starts
// anew.
func (c *Counts) Add(now time.Time, counts ...int) ([]int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending == nil {
		c.pending = make([]int, len(counts))
	}
	for i, n := range counts {
		c.pending[i] += n
	}
	if now.Sub(c.logged) < Every {
		return nil, false
	}
	out := c.pending
	c.pending, c.logged = make([]int, len(counts)), now
	return out, true
}

// Pending returns the counts added since the last log line.
func (c *Counts) Pending() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int(nil), c.pending...)
}
