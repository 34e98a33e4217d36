package webui

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/failhop/failhop/analyzer"
	"github.com/failhop/failhop/internal/recent"
	"github.com/failhop/failhop/jaeger"
)

// readsTTL is how long the front page reuses what it read of Jaeger:
// under a storm of loads, Jaeger is asked once per question and per TTL.
const readsTTL = 5 * time.Second

// maxCachedReads bounds the answers remembered (one per view, window and
// service, and the services list).
const maxCachedReads = 256

// sharedReads shares the front page's reads of Jaeger: loads that ask the
// same question at the same time share one request (single flight), and
// its answer serves the loads of the next readsTTL.
type sharedReads struct {
	flight  singleflight.Group
	mu      sync.Mutex
	answers map[string]cachedAnswer
}

type cachedAnswer struct {
	v  any
	at time.Time
}

// failures returns the recent failures of q (recent.Failures), shared.
func (c *sharedReads) failures(ctx context.Context, client *jaeger.Client, q jaeger.Query) (analyzer.Failures, error) {
	key := fmt.Sprintf("failures %q %s %d %q", q.Service, q.Since, q.Limit, q.Tags) // %q of a map: its keys sorted
	return read(ctx, c, key, func(ctx context.Context) (analyzer.Failures, error) { return recent.Failures(ctx, client, q) })
}

// services returns the services Jaeger knows (jaeger.Client.Services),
// shared.
func (c *sharedReads) services(ctx context.Context, client *jaeger.Client) ([]string, error) {
	return read(ctx, c, "services", client.Services)
}

// read returns the answer to key: from the cache, from a request already
// under way, or from a new one, fetch. The request does not end with the
// load that started it (the others wait for it too); the client's timeout
// bounds it.
func read[T any](ctx context.Context, c *sharedReads, key string, fetch func(context.Context) (T, error)) (T, error) {
	c.mu.Lock()
	a, ok := c.answers[key]
	c.mu.Unlock()
	if ok && time.Since(a.at) < readsTTL {
		return a.v.(T), nil
	}
	res := c.flight.DoChan(key, func() (any, error) {
		v, err := fetch(context.WithoutCancel(ctx))
		if err == nil {
			c.put(key, v)
		}
		return v, err
	})
	select {
	case r := <-res:
		v, _ := r.Val.(T)
		return v, r.Err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

func (c *sharedReads) put(key string, v any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.answers == nil || len(c.answers) >= maxCachedReads {
		c.answers = map[string]cachedAnswer{} // start afresh rather than grow
	}
	c.answers[key] = cachedAnswer{v, time.Now()}
}
