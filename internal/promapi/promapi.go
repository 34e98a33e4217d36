// Package promapi reads Prometheus's HTTP API (/api/v1): instant and range
// queries, and the alerts. failhop's page and the demo read the failure
// metrics and alerts of the failhop collector through it.
package promapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client asks the Prometheus at BaseURL ("http://127.0.0.1:9090").
type Client struct {
	BaseURL string
	HTTP    *http.Client // nil: a client with a 10 s timeout
}

var defaultHTTP = &http.Client{Timeout: 10 * time.Second}

// Sample is one series of a query's answer: its labels and its value at
// the query's time, or its values over the range.
type Sample struct {
	Labels map[string]string
	Value  float64
	Values []float64 // a range query's, one per step, NaN-free: missing steps are 0
}

// Alert is an alert Prometheus evaluates: pending or firing.
type Alert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	State       string            `json:"state"`
}

// Query runs an instant query.
func (c *Client) Query(ctx context.Context, q string) ([]Sample, error) {
	var data struct {
		Result []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		} `json:"result"`
	}
	if err := c.get(ctx, "query", url.Values{"query": {q}}, &data); err != nil {
		return nil, err
	}
	out := make([]Sample, len(data.Result))
	for i, r := range data.Result {
		out[i] = Sample{Labels: r.Metric, Value: number(r.Value[1])}
	}
	return out, nil
}

// QueryRange runs a range query from start to end by step; each sample's
// Values has one value per step.
func (c *Client) QueryRange(ctx context.Context, q string, start, end time.Time, step time.Duration) ([]Sample, error) {
	var data struct {
		Result []struct {
			Metric map[string]string `json:"metric"`
			Values [][2]any          `json:"values"`
		} `json:"result"`
	}
	v := url.Values{"query": {q}, "start": {unix(start)}, "end": {unix(end)}, "step": {strconv.FormatFloat(step.Seconds(), 'f', -1, 64)}}
	if err := c.get(ctx, "query_range", v, &data); err != nil {
		return nil, err
	}
	steps := int(end.Sub(start)/step) + 1
	out := make([]Sample, len(data.Result))
	for i, r := range data.Result {
		out[i] = Sample{Labels: r.Metric, Values: make([]float64, steps)}
		for _, p := range r.Values {
			t, _ := p[0].(float64)
			if k := int((t - float64(start.Unix())) / step.Seconds()); k >= 0 && k < steps {
				out[i].Values[k] = number(p[1])
			}
		}
	}
	return out, nil
}

// Alerts returns the alerts pending or firing.
func (c *Client) Alerts(ctx context.Context) ([]Alert, error) {
	var data struct {
		Alerts []Alert `json:"alerts"`
	}
	if err := c.get(ctx, "alerts", nil, &data); err != nil {
		return nil, err
	}
	return data.Alerts, nil
}

// get GETs /api/v1/path and decodes the answer's data into out.
func (c *Client) get(ctx context.Context, path string, v url.Values, out any) error {
	u := strings.TrimRight(c.BaseURL, "/") + "/api/v1/" + path
	if len(v) > 0 {
		u += "?" + v.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("prometheus: %w", err)
	}
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("prometheus not reachable at %s: %w", c.BaseURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return fmt.Errorf("prometheus: reading %s: %w", path, err)
	}
	var env struct {
		Status string          `json:"status"`
		Error  string          `json:"error"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Status != "success" {
		return fmt.Errorf("prometheus: %s: %d %s", path, resp.StatusCode, strings.TrimSpace(env.Error+" "+snippet(body, err)))
	}
	return json.Unmarshal(env.Data, out)
}

func snippet(body []byte, err error) string {
	if err == nil {
		return ""
	}
	if len(body) > 200 {
		body = body[:200]
	}
	return string(body)
}

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// number reads a sample value, which the API sends as a string.
func number(v any) float64 {
	s, _ := v.(string)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != f {
		return 0
	}
	return f
}
