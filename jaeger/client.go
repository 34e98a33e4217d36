// Package jaeger fetches traces from Jaeger's query API (Jaeger v1 and v2)
// and decodes them into the analyzer's model with package tracejson.
//
//	c := jaeger.New("http://localhost:16686")
//	tr, err := c.Trace(ctx, "4bf92f3577b34da6a3ce929d0e0e4736")
//	switch {
//	case errors.Is(err, jaeger.ErrNotFound):    // not stored (yet): retry later
//	case errors.Is(err, jaeger.ErrUnreachable): // no Jaeger at that URL
//	}
package jaeger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/failhop/failhop/analyzer"
	"github.com/failhop/failhop/tracejson"
)

// Errors that the client's methods wrap; test for them with errors.Is.
var (
	// ErrNotFound says Jaeger has no such trace.
	ErrNotFound = errors.New("trace not found (yet): spans may still be in the collector's tail-sampling buffer, try again in a few seconds")
	// ErrUnreachable says no Jaeger answered at the client's URL.
	ErrUnreachable = errors.New("Jaeger not reachable")
	// ErrSlow says Jaeger took longer to answer than the client's
	// timeout: it is up, but busy or slow.
	ErrSlow = errors.New("Jaeger did not answer in time")
	// ErrBadResponse says Jaeger answered with an error status or with
	// something that is not a trace.
	ErrBadResponse = errors.New("bad response from Jaeger")
)

// DefaultTimeout bounds each request of a client made by New.
const DefaultTimeout = 10 * time.Second

// maxBody bounds the size of an answer the client reads.
const maxBody = 256 << 20

// Client reads traces from a Jaeger query service. Its zero value is not
// usable: make one with New, or set BaseURL.
type Client struct {
	// BaseURL is the query service's address, such as
	// "http://localhost:16686" (and its base path, if Jaeger serves under
	// one).
	BaseURL string
	// HTTP sends the requests; nil means an http.Client with DefaultTimeout
	// that follows redirects on the same host and port only.
	HTTP *http.Client
}

// New returns a client for the Jaeger query service at baseURL, with an
// HTTP client that times out after DefaultTimeout and follows redirects on
// the same host and port only. A baseURL without a scheme gets "http://".
func New(baseURL string) *Client {
	return &Client{BaseURL: baseURL, HTTP: newHTTPClient()}
}

var defaultHTTP = newHTTPClient()

func newHTTPClient() *http.Client {
	return &http.Client{Timeout: DefaultTimeout, CheckRedirect: sameOrigin}
}

var errOtherHost = errors.New("redirected to another host")

// sameOrigin lets a redirect through when it stays on the scheme, host and
// port of the first request (Jaeger under a base path redirects to add a
// slash): the query API is the one the user named, and an answer from
// anywhere else (a proxy's login page, a compromised redirect) is not a
// trace of theirs.
func sameOrigin(req *http.Request, via []*http.Request) error {
	first := via[0].URL
	if req.URL.Scheme != first.Scheme || req.URL.Host != first.Host {
		return fmt.Errorf("%w to %s://%s: not followed (point the client at the address that answers)", errOtherHost, req.URL.Scheme, req.URL.Host)
	}
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	return nil
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return defaultHTTP
}

func (c *Client) base() string {
	u := strings.TrimRight(c.BaseURL, "/")
	if !strings.Contains(u, "://") {
		u = "http://" + u
	}
	return u
}

// Trace fetches one trace by ID, or by any reference to it that
// analyzer.ParseTraceRef reads (a traceparent value...). It asks the API v3
// (/api/v3/traces/{id}, OTLP JSON) and falls back to the v1 API
// (/api/traces/{id}) when the Jaeger there has no v3 HTTP API.
func (c *Client) Trace(ctx context.Context, traceID string) (*analyzer.Trace, error) {
	id, err := analyzer.ParseTraceRef(traceID)
	if err != nil {
		return nil, fmt.Errorf("jaeger: %w", err)
	}
	status, body, err := c.get(ctx, "/api/v3/traces/"+id, nil)
	if err != nil {
		return nil, err
	}
	traces, derr := tracejson.Decode(body)
	v3 := false
	switch {
	case status == http.StatusOK && derr == nil:
		v3 = true
	case status == http.StatusNotFound && errors.Is(derr, tracejson.ErrNotFound):
		return nil, fmt.Errorf("trace %s: %w", id, ErrNotFound)
	case status == http.StatusOK && !isJSON(body),
		status == http.StatusNotFound,
		status == http.StatusMethodNotAllowed,
		status == http.StatusNotImplemented:
		// No v3 HTTP API here (an older Jaeger, whose UI answers unknown
		// paths with its index page, or a proxy that only passes /api/traces).
	default:
		return nil, c.badResponse("/api/v3/traces/"+id, status, body, derr)
	}
	if !v3 {
		status, body, err = c.get(ctx, "/api/traces/"+id, nil)
		if err != nil {
			return nil, err
		}
		traces, derr = tracejson.Decode(body)
		switch {
		case status == http.StatusNotFound && (errors.Is(derr, tracejson.ErrNotFound) || !isJSON(body)),
			status == http.StatusOK && errors.Is(derr, tracejson.ErrNotFound):
			return nil, fmt.Errorf("trace %s: %w", id, ErrNotFound)
		case status != http.StatusOK || derr != nil:
			return nil, c.badResponse("/api/traces/"+id, status, body, derr)
		}
	}
	for _, t := range traces {
		if t.TraceID == id && len(t.Spans) > 0 {
			return t, nil
		}
	}
	return nil, fmt.Errorf("trace %s: %w", id, ErrNotFound)
}

// Query selects traces for FindTraces, as Jaeger UI's search form does.
type Query struct {
	Service   string            // required: the service that has the spans
	Operation string            // a span name of that service; "" for any
	Tags      map[string]string // span or process tags that a span must have, such as "error": "true"
	Since     time.Duration     // how far back to look; 0 means one hour
	Limit     int               // at most this many traces; 0 means Jaeger's default (20)
}

// FindTraces searches traces with the v1 API (/api/traces?service=...),
// which Jaeger v2 still serves. It returns no traces and no error when none
// match.
func (c *Client) FindTraces(ctx context.Context, q Query) ([]*analyzer.Trace, error) {
	if q.Service == "" {
		return nil, errors.New("jaeger: FindTraces needs a service")
	}
	since := q.Since
	if since <= 0 {
		since = time.Hour
	}
	end := time.Now()
	v := url.Values{}
	v.Set("service", q.Service)
	if q.Operation != "" {
		v.Set("operation", q.Operation)
	}
	v.Set("start", strconv.FormatInt(end.Add(-since).UnixMicro(), 10))
	v.Set("end", strconv.FormatInt(end.UnixMicro(), 10))
	limit := q.Limit
	if limit <= 0 {
		limit = 20
	}
	v.Set("limit", strconv.Itoa(limit))
	if len(q.Tags) > 0 {
		b, err := json.Marshal(q.Tags)
		if err != nil {
			return nil, fmt.Errorf("jaeger: tags: %w", err)
		}
		v.Set("tags", string(b))
	}
	status, body, err := c.get(ctx, "/api/traces", v)
	if err != nil {
		return nil, err
	}
	traces, derr := tracejson.Decode(body)
	if status != http.StatusOK || (derr != nil && !onlyNotFound(derr)) {
		return nil, c.badResponse("/api/traces", status, body, derr)
	}
	return traces, nil // with the traces Jaeger found; one it lost in between is no error
}

// onlyNotFound reports whether err is one or more of Jaeger's "trace not
// found" entries (a search that found a trace ID whose spans were evicted
// before it fetched them).
func onlyNotFound(err error) bool {
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		var ae *tracejson.APIError
		if !errors.As(e, &ae) || !errors.Is(ae, tracejson.ErrNotFound) {
			return false
		}
	}
	return true
}

// Services lists the services Jaeger has spans of (/api/services), sorted.
func (c *Client) Services(ctx context.Context) ([]string, error) {
	status, body, err := c.get(ctx, "/api/services", nil)
	if err != nil {
		return nil, err
	}
	var resp struct {
		Data []string `json:"data"`
	}
	derr := json.Unmarshal(body, &resp)
	if status != http.StatusOK || derr != nil {
		return nil, c.badResponse("/api/services", status, body, derr)
	}
	slices.Sort(resp.Data)
	return resp.Data, nil
}

// get sends GET base+path?query and returns the status and body.
func (c *Client) get(ctx context.Context, path string, query url.Values) (int, []byte, error) {
	u := c.base() + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, nil, fmt.Errorf("jaeger: bad URL %q: %w", c.BaseURL, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.httpClient().Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, nil, fmt.Errorf("jaeger: GET %s: %w", u, ctx.Err())
		}
		if errors.Is(err, errOtherHost) {
			return 0, nil, fmt.Errorf("%w at %s: %v", ErrBadResponse, c.base(), unwrapURLError(err))
		}
		if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
			return 0, nil, fmt.Errorf("%w: Jaeger at %s took longer than %s to answer (busy, or slow storage)", ErrSlow, c.base(), c.httpClient().Timeout)
		}
		return 0, nil, fmt.Errorf("%w at %s: %v", ErrUnreachable, c.base(), unwrapURLError(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		if ctx.Err() != nil {
			return 0, nil, fmt.Errorf("jaeger: GET %s: %w", u, ctx.Err())
		}
		return 0, nil, fmt.Errorf("jaeger: GET %s: reading the answer: %w", u, err)
	}
	if len(body) > maxBody {
		return 0, nil, fmt.Errorf("jaeger: GET %s: %w: answer larger than %d MiB", u, ErrBadResponse, maxBody>>20)
	}
	return resp.StatusCode, body, nil
}

// unwrapURLError drops the *url.Error wrapper, whose text repeats the URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func (c *Client) badResponse(path string, status int, body []byte, derr error) error {
	msg := ""
	var apiErr *tracejson.APIError
	switch {
	case errors.As(derr, &apiErr):
		msg = apiErr.Message
	case status != http.StatusOK:
		msg = snippet(body)
	case derr != nil:
		msg = derr.Error()
	}
	if status == http.StatusOK {
		return fmt.Errorf("jaeger: GET %s%s: %w: %s", c.base(), path, ErrBadResponse, msg)
	}
	return fmt.Errorf("jaeger: GET %s%s: %w: %d %s: %s", c.base(), path, ErrBadResponse,
		status, http.StatusText(status), msg)
}

// snippet returns the start of an answer's body for an error message.
func snippet(body []byte) string {
	s := strings.Join(strings.Fields(string(body)), " ")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	if s == "" {
		s = "(empty body)"
	}
	return s
}

func isJSON(body []byte) bool {
	s := strings.TrimSpace(string(body))
	return s != "" && (s[0] == '{' || s[0] == '[')
}

// ServesUI reports whether the Jaeger at the client's URL serves its UI
// pages. A Jaeger built from Go modules (bin/jaeger of `make stack`) does
// not: the UI assets are not in its module, and it answers / with a
// placeholder page. It reports true when it cannot tell (Jaeger down, a
// proxy in front).
func (c *Client) ServesUI(ctx context.Context) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base()+"/", nil)
	if err != nil {
		return true
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return true
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return !strings.Contains(string(page), uiPlaceholder)
}

// uiPlaceholder is a sentence of the page a Jaeger without its UI assets
// serves in their place.
const uiPlaceholder = "not compiled with the UI assets"
