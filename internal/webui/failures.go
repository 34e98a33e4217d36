package webui

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/failhop/failhop/jaeger"
)

// failuresTTL is how long the front page reuses what it read of Jaeger:
// under a storm of loads, Jaeger is asked once per view and per TTL.
const failuresTTL = 5 * time.Second

// maxCachedViews bounds the views (window and service) remembered.
const maxCachedViews = 256

// failuresCache shares the front page's reads of Jaeger: loads of the same
// view at the same time share one search (single flight), and its answer
// serves the loads of the next failuresTTL.
type failuresCache struct {
	flight   singleflight.Group
	mu       sync.Mutex
	views    map[view]cachedFailures
	services cachedServices
}

type cachedServices struct {
	list []string
	at   time.Time
}

// view is what a search of the front page depends on.
type view struct {
	service string
	since   time.Duration
	limit   int
}

type cachedFailures struct {
	f  jaeger.Failures
	at time.Time
}

// get returns the failures of q, from the cache, from a search already
// under way, or from a new one. The search does not end with the
// request that started it (the others wait for it too); the client's
// timeout bounds it.
func (c *failuresCache) get(ctx context.Context, client *jaeger.Client, q jaeger.Query) (jaeger.Failures, error) {
	k := view{q.Service, q.Since, q.Limit}
	c.mu.Lock()
	v, ok := c.views[k]
	c.mu.Unlock()
	if ok && time.Since(v.at) < failuresTTL {
		return v.f, nil
	}
	res := c.flight.DoChan(fmt.Sprint(k), func() (any, error) {
		f, err := client.FindFailures(context.WithoutCancel(ctx), q)
		if err == nil {
			c.put(k, f)
		}
		return f, err
	})
	select {
	case r := <-res:
		f, _ := r.Val.(jaeger.Failures)
		return f, r.Err
	case <-ctx.Done():
		return jaeger.Failures{}, ctx.Err()
	}
}

func (c *failuresCache) put(k view, f jaeger.Failures) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.views == nil || len(c.views) >= maxCachedViews {
		c.views = map[view]cachedFailures{} // start afresh rather than grow
	}
	c.views[k] = cachedFailures{f, time.Now()}
}

// servicesOf returns the services Jaeger knows, shared and reused as get's
// failures are.
func (c *failuresCache) servicesOf(ctx context.Context, client *jaeger.Client) ([]string, error) {
	c.mu.Lock()
	v := c.services
	c.mu.Unlock()
	if v.list != nil && time.Since(v.at) < failuresTTL {
		return v.list, nil
	}
	res := c.flight.DoChan("services", func() (any, error) {
		list, err := client.Services(context.WithoutCancel(ctx))
		if err == nil {
			c.mu.Lock()
			c.services = cachedServices{list, time.Now()}
			c.mu.Unlock()
		}
		return list, err
	})
	select {
	case r := <-res:
		list, _ := r.Val.([]string)
		return list, r.Err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
