package promapi

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Counts are what the failure metrics say of requests over a window:
// every request, counted before sampling, and the failed ones.
type Counts struct {
	Requests float64 `json:"requests"`
	Failed   float64 `json:"failed"`
}

// ErrNoCounts is RequestCounts' error when Prometheus has no request count
// over the window: not zero requests, but none it can tell.
var ErrNoCounts = errors.New("Prometheus has no request counts for the window yet (increase() needs two scrapes of failhop_requests_total in it)")

// RequestCounts returns the requests and failed requests of the last
// window whose entry span is of service (every service when ""), from
// failhop_requests_total and failhop_failed_requests_total. A series
// Prometheus first saw within the window counts from 0 (its value), as
// the page's sparklines do: increase() would miss the requests before its
// first scrape, all of a new service's first ones. increase()
// extrapolates: the counts are estimates, close for steady traffic. With
// no request count over the window at all, it returns ErrNoCounts.
func (c *Client) RequestCounts(ctx context.Context, service string, window time.Duration) (Counts, error) {
	var out Counts
	for _, q := range []struct {
		metric string
		into   *float64
	}{{"failhop_requests_total", &out.Requests}, {"failhop_failed_requests_total", &out.Failed}} {
		res, err := c.Query(ctx, increaseQuery(q.metric, service, window))
		if err != nil {
			return out, err
		}
		switch {
		case len(res) == 1:
			*q.into = res[0].Value
		case q.into == &out.Requests:
			return out, ErrNoCounts
		}
	}
	return out, nil
}

// increaseQuery is the PromQL for how much metric grew over window, for
// the entry service (every one when ""): increase() for the series that
// were there before the window, the value for those born in it.
func increaseQuery(metric, service string, window time.Duration) string {
	series := metric
	if service != "" {
		series += `{entry_service=` + strconv.Quote(service) + `}`
	}
	w := strconv.FormatInt(max(1, int64(window/time.Second)), 10) + "s"
	// Born: no sample in the day before the window (not only in the 5 min
	// an instant selector looks back, which a Prometheus outage outlasts).
	born := fmt.Sprintf("(%s unless last_over_time(%s[1d] offset %s))", series, series, w)
	return fmt.Sprintf("sum((increase(%s[%s]) unless %s) or %s)", series, w, born, born)
}

// String says the counts for people: "1,204 requests, 37 failed (3.1%)".
func (c Counts) String() string {
	s := fmt.Sprintf("%s requests, %s failed", round(c.Requests), round(c.Failed))
	if c.Requests > 0 {
		s += fmt.Sprintf(" (%.1f%%)", 100*c.Failed/c.Requests)
	}
	return s
}

func round(f float64) string {
	n := strconv.FormatFloat(f, 'f', 0, 64)
	var b strings.Builder
	for i, r := range n {
		if i > 0 && (len(n)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}
