package jaeger

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/failhop/failhop/analyzer"
)

// Tests of the client against fake servers; jaeger_test.go has those
// against a real Jaeger.

const v3Body = `{"result":{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},"scopeSpans":[{"spans":[{"traceId":"0000000000000000000000000000abcd","spanId":"0000000000000001","name":"GET /","kind":2,"startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}}`

const v1Body = `{"data":[{"traceID":"abcd","spans":[{"traceID":"abcd","spanID":"1","operationName":"GET /","references":[],"startTime":1,"duration":1,"tags":[{"key":"span.kind","type":"string","value":"server"}],"logs":[],"processID":"p1"}],"processes":{"p1":{"serviceName":"api","tags":[]}}}],"total":0,"limit":0,"offset":0,"errors":null}`

func TestTraceFake(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		wantErr error  // nil: the trace is found
		errText string // in the error message
	}{
		{
			name: "v3",
			handler: func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/api/v3/traces/0000000000000000000000000000abcd" {
					t.Errorf("unexpected request %s", r.URL)
				}
				fmt.Fprint(w, v3Body)
			},
		},
		{
			name: "v3 not found",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, `{"error":{"httpCode":404,"message":"No traces found"}}`, http.StatusNotFound)
			},
			wantErr: ErrNotFound,
			errText: "trace 0000000000000000000000000000abcd: trace not found (yet)",
		},
		{
			name: "no v3 route: fallback to v1",
			handler: func(w http.ResponseWriter, r *http.Request) {
				if strings.HasPrefix(r.URL.Path, "/api/v3/") {
					http.NotFound(w, r)
					return
				}
				fmt.Fprint(w, v1Body)
			},
		},
		{
			name: "old Jaeger answers /api/v3 with the UI page",
			handler: func(w http.ResponseWriter, r *http.Request) {
				if strings.HasPrefix(r.URL.Path, "/api/v3/") {
					fmt.Fprint(w, "<!doctype html><html>Jaeger UI</html>")
					return
				}
				fmt.Fprint(w, v1Body)
			},
		},
		{
			name: "v1 not found",
			handler: func(w http.ResponseWriter, r *http.Request) {
				if strings.HasPrefix(r.URL.Path, "/api/v3/") {
					http.NotFound(w, r)
					return
				}
				http.Error(w, `{"data":null,"total":0,"limit":0,"offset":0,"errors":[{"code":404,"msg":"trace not found"}]}`, http.StatusNotFound)
			},
			wantErr: ErrNotFound,
		},
		{
			name: "v3 answers another trace",
			handler: func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, strings.ReplaceAll(v3Body, "abcd", "abce"))
			},
			wantErr: ErrNotFound,
		},
		{
			name: "server error",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, `{"error":{"httpCode":500,"message":"storage down"}}`, http.StatusInternalServerError)
			},
			wantErr: ErrBadResponse,
			errText: "500 Internal Server Error: storage down",
		},
		{
			name: "proxy error page",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "<html>bad gateway</html>", http.StatusBadGateway)
			},
			wantErr: ErrBadResponse,
			errText: "502 Bad Gateway: <html>bad gateway</html>",
		},
		{
			name: "garbage with 200",
			handler: func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, `{"hello":"world"}`)
			},
			wantErr: ErrBadResponse,
			errText: "neither Jaeger JSON",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			tr, err := New(srv.URL+"/").Trace(context.Background(), "ABCD")
			if tt.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				if tr.TraceID != "0000000000000000000000000000abcd" || len(tr.Spans) != 1 ||
					tr.Spans[0].Name != "GET /" || tr.Spans[0].Service != "api" || tr.Spans[0].Kind != "server" {
					t.Errorf("got %+v", tr.Spans[0])
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v is not %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.errText) {
				t.Errorf("error %q does not contain %q", err, tt.errText)
			}
		})
	}
}

func TestTraceBadID(t *testing.T) {
	c := New("http://127.0.0.1:1")
	for _, id := range []string{"", "xyz", strings.Repeat("a", 33), "12 34", "-1"} {
		_, err := c.Trace(context.Background(), id)
		if !errors.Is(err, analyzer.ErrBadTraceRef) {
			t.Errorf("Trace(%q): error %v, want a bad trace ID", id, err)
		}
	}
}

func TestUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()      // nothing listens there now
	c := New(addr) // without a scheme: http:// is assumed
	_, err = c.Trace(context.Background(), "abcd")
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("Trace: error %v is not ErrUnreachable", err)
	}
	if want := "Jaeger not reachable at http://" + addr + ": "; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q does not start with %q", err, want)
	}
	_, err = c.FindTraces(context.Background(), Query{Service: "x"})
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("FindTraces: error %v is not ErrUnreachable", err)
	}
}

func TestCanceled(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := New(srv.URL).Trace(ctx, "abcd")
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrUnreachable) {
		t.Fatalf("error %v: want context.Canceled, not ErrUnreachable", err)
	}
}

func TestFindTracesQuery(t *testing.T) {
	var got *http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		fmt.Fprint(w, `{"data":[],"total":0,"limit":0,"offset":0,"errors":null}`)
	}))
	defer srv.Close()
	ts, err := New(srv.URL).FindTraces(context.Background(), Query{
		Service: "api", Operation: "GET /", Tags: map[string]string{"error": "true"}, Limit: 5,
	})
	if err != nil || len(ts) != 0 {
		t.Fatalf("FindTraces = %d traces, %v; want none, nil", len(ts), err)
	}
	q := got.URL.Query()
	if got.URL.Path != "/api/traces" || q.Get("service") != "api" || q.Get("operation") != "GET /" ||
		q.Get("limit") != "5" || q.Get("tags") != `{"error":"true"}` || q.Get("start") == "" || q.Get("end") == "" {
		t.Errorf("request %s", got.URL)
	}
	if _, err := New(srv.URL).FindTraces(context.Background(), Query{}); err == nil {
		t.Error("FindTraces without a service: no error")
	}
}

// TestRedirects: a redirect on Jaeger's own host and port is followed (a
// base path's trailing slash); one to another host or port is not, and
// the error says where it pointed.
func TestRedirects(t *testing.T) {
	elsewhere := false
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere = true }))
	defer other.Close()
	var followed string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/away/"):
			http.Redirect(w, r, other.URL+strings.TrimPrefix(r.URL.Path, "/away"), http.StatusFound)
		case strings.HasPrefix(r.URL.Path, "/here/"):
			http.Redirect(w, r, "/jaeger"+strings.TrimPrefix(r.URL.Path, "/here"), http.StatusMovedPermanently)
		default:
			followed = r.URL.Path
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	New(srv.URL+"/here").Trace(context.Background(), "abcd")
	if !strings.HasPrefix(followed, "/jaeger/api/") {
		t.Errorf("same-host redirect not followed (the server then saw %q)", followed)
	}
	_, err := New(srv.URL+"/away").Trace(context.Background(), "abcd")
	if !errors.Is(err, ErrBadResponse) || !strings.Contains(err.Error(), "redirected to another host to "+other.URL) || elsewhere {
		t.Errorf("cross-host redirect: %v (other host reached: %v), want a bad response naming it", err, elsewhere)
	}
}

// WaitForTrace asks again while the trace is not there, then until it has
// its root and stops growing; it says once that it waits.
func TestWaitForTrace(t *testing.T) {
	defer func(d time.Duration) { waitPoll = d }(waitPoll)
	waitPoll = 10 * time.Millisecond
	child := `{"traceId":"0000000000000000000000000000abcd","spanId":"0000000000000002","parentSpanId":"0000000000000001","name":"SELECT","kind":3,"startTimeUnixNano":"1","endTimeUnixNano":"2"}`
	root := `{"traceId":"0000000000000000000000000000abcd","spanId":"0000000000000001","name":"GET /","kind":2,"startTimeUnixNano":"1","endTimeUnixNano":"2"}`
	body := func(spans ...string) string {
		return `{"result":{"resourceSpans":[{"scopeSpans":[{"spans":[` + strings.Join(spans, ",") + `]}]}]}}`
	}
	var asks atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n := asks.Add(1); {
		case n <= 3:
			http.Error(w, `{"error":{"httpCode":404,"message":"No traces found"}}`, http.StatusNotFound)
		case n <= 6: // the callee's span came first
			fmt.Fprint(w, body(child))
		default:
			fmt.Fprint(w, body(child, root))
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	told := 0
	tr, err := New(srv.URL).WaitForTrace(ctx, "abcd", 50*time.Millisecond, func() { told++ })
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Spans) != 2 || told != 1 {
		t.Errorf("got %d spans and %d notices, want 2 and 1", len(tr.Spans), told)
	}

	// Never there: the deadline's cause, and ErrNotFound.
	never := httptest.NewServer(http.NotFoundHandler())
	defer never.Close()
	ctx, cancel = context.WithTimeoutCause(context.Background(), 100*time.Millisecond, errors.New("--wait 100ms passed"))
	defer cancel()
	_, err = New(never.URL).WaitForTrace(ctx, "abcd", time.Second, nil)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "--wait 100ms passed") {
		t.Errorf("error %v: want ErrNotFound and the deadline's cause", err)
	}
}

// A search whose answer also says that one of its traces was not found
// (evicted between Jaeger's index lookup and its fetch) keeps the traces
// it has.
func TestFindTracesPartial(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := strings.Replace(v1Body, `"errors":null`, `"errors":[{"code":404,"msg":"trace not found","traceID":"beef"}]`, 1)
		fmt.Fprint(w, body)
	}))
	defer srv.Close()
	traces, err := New(srv.URL).FindTraces(t.Context(), Query{Service: "api"})
	if err != nil || len(traces) != 1 {
		t.Fatalf("got %d traces, %v; want the one found and no error", len(traces), err)
	}
}
