package jaeger

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/failhop/failhop/analyzer"
)

// waitPoll is how often WaitForTrace asks Jaeger again.
var waitPoll = 250 * time.Millisecond

// WaitForTrace fetches a trace as Trace does, asking again while Jaeger
// does not have it, and then until the trace is complete and stable: it
// has its root span and has kept the same spans for settle. The spans of a
// trace reach Jaeger at different times: each service exports on its own
// schedule, the root's service usually last (the root span ends last), and
// a tail-sampling collector holds a trace, then forwards its late spans.
// A trace that has no root span (its service does not export to this
// Jaeger) is returned once it has kept the same spans for three times
// settle.
//
// When ctx is done first, WaitForTrace returns the trace as Jaeger had it
// last, if it had it, else an error that wraps ErrNotFound. notFound, if
// not nil, is called once, the first time Jaeger does not have the trace:
// to tell the user what it waits for. Errors other than ErrNotFound end it
// at once.
func (c *Client) WaitForTrace(ctx context.Context, traceID string, settle time.Duration, notFound func()) (*analyzer.Trace, error) {
	var (
		last  *analyzer.Trace
		since time.Time // when last's spans were first seen
		told  bool
	)
	tick := time.NewTicker(waitPoll)
	defer tick.Stop()
	for {
		tr, err := c.Trace(ctx, traceID)
		switch {
		case err == nil:
			if last == nil || len(tr.Spans) != len(last.Spans) {
				since = time.Now()
			}
			last = tr
			need := settle
			if !hasRoot(tr) {
				need = 3 * settle
			}
			if time.Since(since) >= need {
				return tr, nil
			}
		case ctx.Err() != nil:
		case errors.Is(err, ErrNotFound):
			if last == nil && notFound != nil && !told {
				notFound()
				told = true
			}
		default:
			return nil, err
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return last, nil
			}
			if err == nil || !errors.Is(err, ErrNotFound) {
				err = fmt.Errorf("trace %s: %w", traceID, ErrNotFound)
			}
			return nil, fmt.Errorf("%w (gave up waiting: %v)", err, context.Cause(ctx))
		case <-tick.C:
		}
	}
}

// hasRoot reports whether a span of tr has no parent.
func hasRoot(tr *analyzer.Trace) bool {
	for _, s := range tr.Spans {
		if s.ParentSpanID == "" {
			return true
		}
	}
	return false
}
