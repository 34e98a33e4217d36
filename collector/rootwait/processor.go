package rootwait

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
)

// The processor's own metrics, through the collector's telemetry; their
// description and unit are in metadata.yaml.
const (
	metricHeld    = "otelcol_processor_root_wait_spans_held"
	metricRefused = "otelcol_processor_root_wait_spans_refused"
)

// rootWait passes every span but the root spans on at once, and the root
// spans once held, from one goroutine.
type rootWait struct {
	wait time.Duration
	// earliest is how soon after a trace's first span tail sampling may
	// decide it by its decision_wait: that many whole seconds, less one
	// (its tick), less clockMargin.
	earliest time.Duration
	next     consumer.Traces
	logger   *zap.Logger
	held     metric.Int64Counter
	refused  metric.Int64Counter
	inFlight *inFlight // nil without max_traces

	mu       sync.Mutex
	queue    heldQueue // the soonest due first
	started  bool      // the releasing goroutine runs
	shutdown bool      // from then on, roots are passed on at once

	wake     chan struct{} // a batch was queued
	done     chan struct{} // closed by Shutdown: release the rest now
	released chan struct{} // closed when the releasing goroutine is done
}

// heldRoots are the root spans of one incoming batch.
type heldRoots struct {
	ctx   context.Context
	roots ptrace.Traces
	until time.Time
}

// clockMargin allows for the clocks of the services and the collector
// differing, and for the time a batch takes to reach tail sampling.
const clockMargin = 100 * time.Millisecond

func newRootWait(cfg *Config, next consumer.Traces, logger *zap.Logger, held, refused metric.Int64Counter) *rootWait {
	batches := max(1, int64(cfg.DecisionWait/time.Second)) // as tail sampling counts them
	return &rootWait{
		wait: cfg.Wait, earliest: time.Duration(batches-1)*time.Second - clockMargin,
		next: next, logger: logger, held: held, refused: refused,
		inFlight: newInFlight(cfg.MaxTraces, cfg.DecisionWait, logger),
		wake:     make(chan struct{}, 1), done: make(chan struct{}), released: make(chan struct{}),
	}
}

func (p *rootWait) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: true} // the root spans are taken out
}

func (p *rootWait) Start(context.Context, component.Host) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.started && !p.shutdown {
		p.started = true
		go p.release()
	}
	return nil
}

// Shutdown passes on every root span still held, then returns.
func (p *rootWait) Shutdown(ctx context.Context) error {
	p.mu.Lock()
	if p.shutdown {
		p.mu.Unlock()
		return nil
	}
	p.shutdown = true
	started := p.started
	p.mu.Unlock()
	close(p.done)
	if !started {
		return nil // nothing was held: hold needs a started collector
	}
	select {
	case <-p.released:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *rootWait) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	now := time.Now()
	if err := p.inFlight.admit(td, now); err != nil {
		p.refused.Add(ctx, int64(td.SpanCount()))
		return err
	}
	if p.wait > 0 {
		if roots, until, n := takeRoots(td, now.Add(p.wait), p.earliest); n > 0 && until.After(now) {
			if err := p.hold(ctx, roots, until, n); err != nil {
				return err
			}
			if td.ResourceSpans().Len() == 0 {
				return nil
			}
		} else if n > 0 {
			roots.ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
		}
	}
	return p.next.ConsumeTraces(ctx, td)
}

// hold queues roots until then, or passes them on at once after Shutdown.
func (p *rootWait) hold(ctx context.Context, roots ptrace.Traces, until time.Time, n int) error {
	p.mu.Lock()
	if p.shutdown {
		p.mu.Unlock()
		return p.next.ConsumeTraces(ctx, roots)
	}
	// The sender's context ends with its request; its values (client
	// metadata) go on with the spans.
	heap.Push(&p.queue, heldRoots{ctx: context.WithoutCancel(ctx), roots: roots, until: until})
	p.mu.Unlock()
	p.held.Add(ctx, int64(n))
	select {
	case p.wake <- struct{}{}:
	default:
	}
	return nil
}

// release passes each held batch on once it is due, and all of them at
// once after Shutdown.
func (p *rootWait) release() {
	defer close(p.released)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		p.mu.Lock()
		shutdown := p.shutdown
		if len(p.queue) == 0 {
			p.mu.Unlock()
			if shutdown {
				return
			}
			select {
			case <-p.wake:
			case <-p.done:
			}
			continue
		}
		until := p.queue[0].until
		p.mu.Unlock()
		if d := time.Until(until); d > 0 && !shutdown {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-p.wake: // a batch came, perhaps due sooner
				timer.Stop()
				continue
			case <-p.done:
				timer.Stop()
				continue
			}
		}
		p.mu.Lock()
		b := heap.Pop(&p.queue).(heldRoots)
		p.mu.Unlock()
		if err := p.next.ConsumeTraces(b.ctx, b.roots); err != nil {
			p.logger.Warn("root_wait: the next component refused held root spans; they are lost",
				zap.Int("spans", b.roots.SpanCount()), zap.Error(err))
		}
	}
}

// heldQueue is a heap of held batches by due time.
type heldQueue []heldRoots

func (q heldQueue) Len() int           { return len(q) }
func (q heldQueue) Less(i, j int) bool { return q[i].until.Before(q[j].until) }
func (q heldQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *heldQueue) Push(x any)        { *q = append(*q, x.(heldRoots)) }
func (q *heldQueue) Pop() any {
	old := *q
	b := old[len(old)-1]
	old[len(old)-1] = heldRoots{}
	*q = old[:len(old)-1]
	return b
}

// takeRoots moves the spans without a parent out of td, with their
// resources and scopes, into a new batch, and tells how many it moved and
// until when they may be held: until, or sooner if tail sampling could
// decide one's trace earlier, earliest after the root span started (no
// span of a trace starts before its root). A resource or scope it empties
// is removed from td.
func takeRoots(td ptrace.Traces, until time.Time, earliest time.Duration) (ptrace.Traces, time.Time, int) {
	roots := ptrace.NewTraces()
	n := 0
	td.ResourceSpans().RemoveIf(func(rs ptrace.ResourceSpans) bool {
		var rootRS ptrace.ResourceSpans
		tookFromRS := false
		rs.ScopeSpans().RemoveIf(func(ss ptrace.ScopeSpans) bool {
			var rootSS ptrace.ScopeSpans
			tookFromSS := false
			ss.Spans().RemoveIf(func(s ptrace.Span) bool {
				if !s.ParentSpanID().IsEmpty() {
					return false
				}
				if !tookFromRS {
					rootRS = roots.ResourceSpans().AppendEmpty()
					rs.Resource().CopyTo(rootRS.Resource())
					rootRS.SetSchemaUrl(rs.SchemaUrl())
					tookFromRS = true
				}
				if !tookFromSS {
					rootSS = rootRS.ScopeSpans().AppendEmpty()
					ss.Scope().CopyTo(rootSS.Scope())
					rootSS.SetSchemaUrl(ss.SchemaUrl())
					tookFromSS = true
				}
				s.CopyTo(rootSS.Spans().AppendEmpty())
				if bound := s.StartTimestamp().AsTime().Add(earliest); bound.Before(until) {
					until = bound
				}
				n++
				return true
			})
			return tookFromSS && ss.Spans().Len() == 0
		})
		return tookFromRS && rs.ScopeSpans().Len() == 0
	})
	return roots, until, n
}
