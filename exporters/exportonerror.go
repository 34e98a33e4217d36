package exporters

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// envExportOnError turns the export of a failed request's spans at once
// off ("false") or on ("true", the default).
const envExportOnError = "FAILHOP_EXPORT_ON_ERROR"

// exportOnErrorEnabled reads FAILHOP_EXPORT_ON_ERROR: true when unset.
func exportOnErrorEnabled() (bool, error) {
	v := strings.TrimSpace(os.Getenv(envExportOnError))
	if v == "" {
		return true, nil
	}
	on, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("exporters: %s=%q: accepted values: %q, %q", envExportOnError, v, "true", "false")
	}
	return on, nil
}

// minEarlyInterval is the least time between the starts of two early
// exports of one processor (exportOnError.interval). A request that fails
// now and then is exported at once; when every request fails (a
// dependency is down), the early exports come at most ten times a second,
// each with every span queued meanwhile, instead of one per request.
const minEarlyInterval = 100 * time.Millisecond

// exportOnError stands in front of a batch span processor and asks it to
// export at once (ForceFlush) when a local root span ends with status
// Error: the span that began this process's part of a trace (its parent is
// in another process, or it has none), typically a server span answering
// 5xx. It ends after the rest of the process's part of the request, so the
// export carries every span of it, and the services below it exported
// theirs when their own failed parts ended, before they answered. The
// failhop collector can then decide a failed trace soon after its root
// span arrives, while successful traffic keeps the batch span processor's
// schedule (OTEL_BSP_SCHEDULE_DELAY, 5 s by default) and its large batches.
//
// The early exports run in one goroutine: requests that fail while one is
// under way are all carried by the next, which starts interval
// (minEarlyInterval) after the previous one at the soonest. OnEnd never
// blocks.
type exportOnError struct {
	sdktrace.SpanProcessor // the batch span processor (behind queueLimit)

	interval    time.Duration // the least time between two early exports
	kick        chan struct{} // a failed local root ended; buffered, one pending
	stop        chan struct{} // closed by Shutdown: no more early exports
	flushCtx    context.Context
	cancelFlush context.CancelFunc // gives up the export under way
	done        chan struct{}      // closed when the goroutine returned
	stopped     sync.Once
}

func newExportOnError(next sdktrace.SpanProcessor, interval time.Duration) *exportOnError {
	ctx, cancel := context.WithCancel(context.Background())
	p := &exportOnError{
		SpanProcessor: next, interval: interval, kick: make(chan struct{}, 1), stop: make(chan struct{}),
		flushCtx: ctx, cancelFlush: cancel, done: make(chan struct{}),
	}
	go p.run()
	return p
}

// OnEnd hands s to the batch span processor and, when s is a failed local
// root, asks for an export.
func (p *exportOnError) OnEnd(s sdktrace.ReadOnlySpan) {
	p.SpanProcessor.OnEnd(s)
	if s.Status().Code != codes.Error || !s.SpanContext().IsSampled() {
		return
	}
	if parent := s.Parent(); parent.IsValid() && !parent.IsRemote() {
		return // its local root follows, and is exported with it if it fails
	}
	select {
	case p.kick <- struct{}{}:
	default: // one is pending already: it will carry this span too
	}
}

func (p *exportOnError) run() {
	defer close(p.done)
	var last time.Time
	for {
		select {
		case <-p.stop:
			return
		case <-p.kick:
		}
		if wait := p.interval - time.Since(last); wait > 0 {
			timer := time.NewTimer(wait)
			select {
			case <-p.stop:
				timer.Stop()
				return
			case <-timer.C:
			}
		}
		last = time.Now()
		// The spans queued before this call are exported; a failed export
		// is counted and logged by loggingExporter, like any other.
		_ = p.SpanProcessor.ForceFlush(p.flushCtx)
	}
}

// Shutdown stops the early exports, letting one under way finish until ctx
// is done, then shuts the batch span processor down, which exports what is
// left.
func (p *exportOnError) Shutdown(ctx context.Context) error {
	p.stopped.Do(func() {
		close(p.stop)
		select {
		case <-p.done:
		case <-ctx.Done():
			p.cancelFlush()
			<-p.done
		}
		p.cancelFlush()
	})
	return p.SpanProcessor.Shutdown(ctx)
}
