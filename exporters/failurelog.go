package exporters

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// defaultLogInterval is the minimum time between two export failure reports.
const defaultLogInterval = time.Minute

// loggingExporter counts the spans lost, in failed exports of next and in a
// full queue (see queueLimit), and reports them through a logger, rate
// limited: the first loss at once, then at most once per interval with the
// counts since the last report. When an export succeeds after a reported
// loss it logs a recovery note (with any losses not yet reported), so at
// most two lines per interval are written even when the collector flaps.
//
// It returns nil from ExportSpans even when next fails: the batch span
// processor only passes export errors to the global OpenTelemetry error
// handler, which by default prints every failed batch, the very flood this
// type exists to avoid. The failure total is kept for Setup's shutdown
// function, which turns failures during the final flush into an error.
type loggingExporter struct {
	next     sdktrace.SpanExporter
	logger   *slog.Logger
	interval time.Duration
	now      func() time.Time

	total    atomic.Int64 // failed exports since creation
	inFlight atomic.Int64 // spans queued or being exported (see queueLimit)

	mu         sync.Mutex
	failures   int       // failed exports not yet reported
	dropped    int       // spans in those exports
	queueFull  int       // spans dropped from a full queue, not yet reported
	lastErr    error     // latest failure not yet reported
	lastReport time.Time // time of the latest failure report
	announced  bool      // a failure was reported and no recovery since
}

func newLoggingExporter(next sdktrace.SpanExporter, logger *slog.Logger, interval time.Duration) *loggingExporter {
	return &loggingExporter{next: next, logger: logger, interval: interval, now: time.Now}
}

// ExportSpans exports spans with the wrapped exporter and records the
// outcome. See the type documentation for why it does not return errors.
func (e *loggingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	err := e.next.ExportSpans(ctx, spans)
	e.inFlight.Add(-int64(len(spans)))

	e.mu.Lock()
	defer e.mu.Unlock()
	if err == nil {
		if e.announced {
			e.announced = false
			e.logger.LogAttrs(ctx, slog.LevelInfo, "failhop: span export recovered", e.counts()...)
			e.failures, e.dropped, e.queueFull, e.lastErr = 0, 0, 0, nil
		}
		return nil
	}
	e.total.Add(1)
	e.failures++
	e.dropped += len(spans)
	e.lastErr = err
	e.reportSoon(ctx)
	return nil
}

// dropQueueFull counts a span dropped because the queue was full: the
// exporter does not keep up (the collector is slow, down, or a black hole
// where every export waits for its timeout).
func (e *loggingExporter) dropQueueFull(ctx context.Context) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.queueFull++
	e.reportSoon(ctx)
}

// reportSoon reports the pending losses if the last report is an interval
// old. e.mu must be held.
func (e *loggingExporter) reportSoon(ctx context.Context) {
	if now := e.now(); e.lastReport.IsZero() || now.Sub(e.lastReport) >= e.interval {
		e.lastReport = now
		e.announced = true
		e.report(ctx)
	}
}

// counts are the pending losses as log attributes: failed exports, every
// span lost (in them and from a full queue), and of those, the ones the
// full queue dropped. e.mu must be held.
func (e *loggingExporter) counts() []slog.Attr {
	return []slog.Attr{
		slog.Int("failures", e.failures),
		slog.Int("dropped_spans", e.dropped+e.queueFull),
		slog.Int("queue_full", e.queueFull),
	}
}

// Shutdown shuts the wrapped exporter down and reports failures not yet
// reported.
func (e *loggingExporter) Shutdown(ctx context.Context) error {
	err := e.next.Shutdown(ctx)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.report(ctx)
	return err
}

// report logs the pending failures and resets the counts. It does nothing
// when there is nothing pending. e.mu must be held.
func (e *loggingExporter) report(ctx context.Context) {
	switch {
	case e.failures > 0:
		e.logger.LogAttrs(ctx, slog.LevelWarn, "failhop: span export failed, spans dropped", append(e.counts(), slog.Any("error", e.lastErr))...)
	case e.queueFull > 0:
		e.logger.LogAttrs(ctx, slog.LevelWarn, "failhop: span queue full, spans dropped (the collector does not take them as fast as they come: slow, down or unreachable)", e.counts()...)
	default:
		return
	}
	e.failures, e.dropped, e.queueFull, e.lastErr = 0, 0, 0, nil
}

// queueLimit is the batch span processor with a count of the spans in it:
// it drops a span itself, and says so to the exporter's log, when the
// processor's queue is full, so that no span is lost uncounted (the batch
// span processor drops silently). It lets at most capacity spans (the
// processor's queue size) be queued or exported at once, so the
// processor's queue never overflows.
type queueLimit struct {
	sdktrace.SpanProcessor
	log      *loggingExporter
	capacity int64
}

func (q *queueLimit) OnEnd(s sdktrace.ReadOnlySpan) {
	if !s.SpanContext().IsSampled() {
		return // the batch span processor does not export it either
	}
	if q.log.inFlight.Add(1) > q.capacity {
		q.log.inFlight.Add(-1)
		q.log.dropQueueFull(context.Background())
		return
	}
	q.SpanProcessor.OnEnd(s)
}
