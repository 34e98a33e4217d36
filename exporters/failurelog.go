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

// loggingExporter counts failed exports of next and reports them through a
// logger, rate limited: the first failure at once, then at most once per
// interval with the counts since the last report. When an export succeeds
// after a reported failure it logs a recovery note (with any failures not yet
// reported), so at most two lines per interval are written even when the
// collector flaps.
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

	total atomic.Int64 // failed exports since creation

	mu         sync.Mutex
	failures   int       // failed exports not yet reported
	dropped    int       // spans in those exports
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

	e.mu.Lock()
	defer e.mu.Unlock()
	if err == nil {
		if e.announced {
			e.announced = false
			e.logger.LogAttrs(ctx, slog.LevelInfo, "failhop: span export recovered",
				slog.Int("failures", e.failures),
				slog.Int("dropped_spans", e.dropped),
			)
			e.failures, e.dropped, e.lastErr = 0, 0, nil
		}
		return nil
	}
	e.total.Add(1)
	e.failures++
	e.dropped += len(spans)
	e.lastErr = err
	if now := e.now(); e.lastReport.IsZero() || now.Sub(e.lastReport) >= e.interval {
		e.lastReport = now
		e.announced = true
		e.report(ctx)
	}
	return nil
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
	if e.failures == 0 {
		return
	}
	e.logger.LogAttrs(ctx, slog.LevelWarn, "failhop: span export failed, spans dropped",
		slog.Int("failures", e.failures),
		slog.Int("dropped_spans", e.dropped),
		slog.Any("error", e.lastErr),
	)
	e.failures, e.dropped, e.lastErr = 0, 0, nil
}
