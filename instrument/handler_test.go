package instrument

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/vocab"
)

// serve runs h behind Handler on a real HTTP server and does one GET with
// the given Accept header. It returns the response with its body read.
func serve(t *testing.T, rec *recorder, h http.HandlerFunc, accept string, opts ...Option) (*http.Response, string) {
	t.Helper()
	srv := httptest.NewServer(Handler(h, "test", rec.options(opts...)...))
	t.Cleanup(srv.Close)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/items/7", nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		return nil, err.Error()
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp, "read error: " + err.Error()
	}
	return resp, string(body)
}

// secret is text a handler holds that must never reach the client.
const secret = "pq: password authentication failed for user admin at db-7.internal"

func TestHandlerMarks(t *testing.T) {
	tests := []struct {
		name        string
		handler     http.HandlerFunc
		opts        []Option
		accept      string
		wantStatus  int
		wantSpan    marks
		wantCode    codes.Code
		wantBody    []string // substrings
		wantHeader  string   // Failhop-Error, "" = absent; "ORIGIN" stands for the server span's ID
		wantPage    bool     // safe page with the trace ID
		wantNoLeaks bool
	}{
		{
			name:       "success",
			handler:    func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") },
			wantStatus: 200, wantBody: []string{"ok"},
		},
		{
			name:       "4xx is not a server error",
			handler:    func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) },
			wantStatus: 404,
		},
		{
			name:       "500 without body gets the safe page",
			handler:    func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) },
			wantStatus: 500, wantCode: codes.Error, wantPage: true,
			wantSpan:   marks{origin: true, cause: vocab.CauseAppError, errorType: "500"},
			wantHeader: "app_error; origin=ORIGIN", wantBody: []string{"<!doctype html>", "Reference:"},
		},
		{
			name:       "safe page as JSON",
			handler:    func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) },
			accept:     "application/json, */*",
			wantStatus: 503, wantCode: codes.Error, wantPage: true,
			wantSpan:   marks{origin: true, cause: vocab.CauseAppError, errorType: "503"},
			wantHeader: "app_error; origin=ORIGIN", wantBody: []string{`"status":503`, `"reference":"`},
		},
		{
			name:       "internal service keeps its own 5xx body",
			handler:    func(w http.ResponseWriter, r *http.Request) { http.Error(w, "out of stock", 500) },
			wantStatus: 500, wantCode: codes.Error,
			wantSpan:   marks{origin: true, cause: vocab.CauseAppError, errorType: "500"},
			wantHeader: "app_error; origin=ORIGIN", wantBody: []string{"out of stock"},
		},
		{
			name:       "public edge replaces a 5xx body and drops internal headers",
			handler:    func(w http.ResponseWriter, r *http.Request) { http.Error(w, secret, http.StatusBadGateway) },
			opts:       []Option{WithPublicEdge()},
			wantStatus: 502, wantCode: codes.Error, wantPage: true, wantNoLeaks: true,
			wantSpan: marks{origin: true, cause: vocab.CauseAppError, errorType: "502"},
		},
		{
			name: "public edge drops a Failhop-Error copied from downstream",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set(ErrorHeader, "db_error; origin=00f067aa0ba902b7")
				_, _ = io.WriteString(w, "ok")
			},
			opts:       []Option{WithPublicEdge()},
			wantStatus: 200, wantBody: []string{"ok"},
		},
		{
			name:       "panic before writing",
			handler:    func(w http.ResponseWriter, r *http.Request) { panic(secret) },
			wantStatus: 500, wantCode: codes.Error, wantPage: true, wantNoLeaks: true,
			wantSpan:   marks{origin: true, cause: vocab.CausePanic, errorType: "panic"},
			wantHeader: "panic; origin=ORIGIN",
		},
		{
			name: "panic with an error value",
			handler: func(w http.ResponseWriter, r *http.Request) {
				var m map[string]int
				//lint:ignore SA5000 the panic this case needs
				m["x"]++ // assignment to entry in nil map
			},
			wantStatus: 500, wantCode: codes.Error, wantPage: true,
			wantSpan:   marks{origin: true, cause: vocab.CausePanic, errorType: "runtime.plainError"},
			wantHeader: "panic; origin=ORIGIN",
		},
		{
			name: "panic after the status line aborts the response",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(200)
				_, _ = io.WriteString(w, "partial")
				w.(http.Flusher).Flush()
				panic(secret)
			},
			wantStatus: 200, wantCode: codes.Error,
			wantSpan: marks{origin: true, cause: vocab.CausePanic, errorType: "panic"},
			wantBody: []string{"read error"},
		},
		{
			name: "RecordError with a cause on the server span",
			handler: func(w http.ResponseWriter, r *http.Request) {
				RecordError(r.Context(), MarkCause(errors.New("payments: invalid JSON"), vocab.CauseBadResponse))
				w.WriteHeader(502)
			},
			wantStatus: 502, wantCode: codes.Error, wantPage: true,
			wantSpan:   marks{origin: true, cause: vocab.CauseBadResponse, errorType: "*errors.errorString"},
			wantHeader: "bad_response; origin=ORIGIN",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t)
			resp, body := serve(t, rec, tt.handler, tt.accept, tt.opts...)
			if resp == nil {
				t.Fatalf("request failed: %s", body)
			}
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			span := rec.span(t, trace.SpanKindServer)
			if span.Status().Code != tt.wantCode {
				t.Errorf("span status = %v, want %v", span.Status(), tt.wantCode)
			}
			checkMarks(t, span, tt.wantSpan)
			traceID := span.SpanContext().TraceID().String()
			for _, want := range tt.wantBody {
				if !strings.Contains(body, want) {
					t.Errorf("body %q does not contain %q", body, want)
				}
			}
			if tt.wantPage {
				if !strings.Contains(body, traceID) {
					t.Errorf("safe page %q does not show trace ID %s", body, traceID)
				}
				wantTR := "00-" + traceID + "-" + span.SpanContext().SpanID().String() + "-01"
				if got := resp.Header.Get(TraceResponseHeader); got != wantTR {
					t.Errorf("Traceresponse = %q, want %q", got, wantTR)
				}
			}
			if tt.wantNoLeaks {
				for _, leak := range []string{"password", "db-7", "pq:", "panic", "goroutine", ".go:"} {
					if strings.Contains(body, leak) {
						t.Errorf("body leaks %q: %s", leak, body)
					}
				}
			}
			want := strings.ReplaceAll(tt.wantHeader, "ORIGIN", span.SpanContext().SpanID().String())
			if got := resp.Header.Get(ErrorHeader); got != want {
				t.Errorf("%s = %q, want %q", ErrorHeader, got, want)
			}
		})
	}
}

func TestHandlerPanicRecordsStack(t *testing.T) {
	rec := newRecorder(t)
	serve(t, rec, func(w http.ResponseWriter, r *http.Request) { panic("boom") }, "")
	span := rec.span(t, trace.SpanKindServer)
	var stack string
	for _, ev := range span.Events() {
		if ev.Name != "exception" {
			continue
		}
		for _, kv := range ev.Attributes {
			if kv.Key == "exception.stacktrace" {
				stack = kv.Value.AsString()
			}
		}
	}
	if !strings.Contains(stack, "TestHandlerPanicRecordsStack") {
		t.Errorf("exception.stacktrace does not show the panicking function:\n%s", stack)
	}
}

func TestHandlerAbortHandlerKeepsMeaning(t *testing.T) {
	rec := newRecorder(t)
	resp, body := serve(t, rec, func(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) }, "")
	if resp != nil {
		t.Fatalf("want the connection aborted, got %d %q", resp.StatusCode, body)
	}
	for _, s := range rec.Ended() {
		if attrs(s)[vocab.KeyCause].AsString() == string(vocab.CausePanic) {
			t.Errorf("http.ErrAbortHandler recorded as a panic on %q", s.Name())
		}
	}
}

// TestHandlerChildFailure checks that a server span whose child failed is
// marked as propagating it, naming the child as origin.
func TestHandlerChildFailure(t *testing.T) {
	tests := []struct {
		name      string
		recordErr func(ctx context.Context, childErr error) // what the handler does after the child failed
		wantSpan  marks
	}{
		{
			name:      "5xx without RecordError",
			recordErr: func(context.Context, error) {},
			wantSpan:  marks{propagated: true, cause: vocab.CauseAppError, originSpanID: "CHILD", errorType: "500"},
		},
		{
			name:      "RecordError of the child's error",
			recordErr: func(ctx context.Context, err error) { RecordError(ctx, err) },
			wantSpan:  marks{propagated: true, cause: vocab.CauseAppError, originSpanID: "CHILD", errorType: "*errors.errorString"},
		},
		{
			name: "RecordError of an unrelated error still propagates",
			recordErr: func(ctx context.Context, err error) {
				RecordError(ctx, errors.New("could not reserve"))
			},
			wantSpan: marks{propagated: true, cause: vocab.CauseAppError, originSpanID: "CHILD", errorType: "*errors.errorString"},
		},
		{
			name: "RecordError with an explicit cause is its own origin",
			recordErr: func(ctx context.Context, err error) {
				RecordError(ctx, MarkCause(errors.New("reply not JSON"), vocab.CauseBadResponse))
			},
			wantSpan: marks{origin: true, cause: vocab.CauseBadResponse, errorType: "*errors.errorString"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t)
			var childID string
			resp, _ := serve(t, rec, func(w http.ResponseWriter, r *http.Request) {
				ctx, child := rec.tp.Tracer("app").Start(r.Context(), "reserve")
				childErr := errors.New("reserve failed")
				RecordError(ctx, childErr)
				childID = child.SpanContext().SpanID().String()
				child.End()
				tt.recordErr(r.Context(), fmt.Errorf("handler: %w", childErr))
				w.WriteHeader(500)
			}, "")
			if resp.StatusCode != 500 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			want := tt.wantSpan
			if want.originSpanID == "CHILD" {
				want.originSpanID = childID
			}
			checkMarks(t, rec.span(t, trace.SpanKindServer), want)
			checkMarks(t, rec.span(t, trace.SpanKindInternal), marks{origin: true, cause: vocab.CauseAppError, errorType: "*errors.errorString"})
			if want.propagated && resp.Header.Get(ErrorHeader) != "app_error; origin="+childID {
				t.Errorf("%s = %q, want the child as origin", ErrorHeader, resp.Header.Get(ErrorHeader))
			}
		})
	}
}

// TestHandlerCountsTheBody checks that otelhttp still counts a body that
// the handler copies in (http.ServeContent, io.Copy): otelhttp's writer
// counts only what goes through its Write, so the exchange in front of it
// must not offer a ReadFrom that would go around it.
func TestHandlerCountsTheBody(t *testing.T) {
	rec := newRecorder(t)
	resp, body := serve(t, rec, func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "stock.txt", time.Time{}, strings.NewReader("0123456789"))
	}, "")
	if resp == nil || resp.StatusCode != 200 || body != "0123456789" {
		t.Fatalf("response %v %q, want 200 with the content", resp, body)
	}
	span := rec.span(t, trace.SpanKindServer)
	for _, kv := range span.Attributes() {
		if kv.Key == "http.response.body.size" {
			if kv.Value.AsInt64() != 10 {
				t.Errorf("http.response.body.size = %d, want 10", kv.Value.AsInt64())
			}
			return
		}
	}
	t.Errorf("the server span has no http.response.body.size: %v", span.Attributes())
}

// TestHandlerRoute checks that the route a ServeMux matched reaches the
// server span, although the handler runs on a copy of the request.
func TestHandlerRoute(t *testing.T) {
	rec := newRecorder(t)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) })
	srv := httptest.NewServer(Handler(mux, "inventory", rec.options()...))
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL + "/items/7")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	span := rec.span(t, trace.SpanKindServer)
	if span.Name() != "GET /items/{id}" || attrs(span)["http.route"].AsString() != "/items/{id}" {
		t.Errorf("span %q, http.route %q; want the mux's route", span.Name(), attrs(span)["http.route"].AsString())
	}
}

func TestRoute(t *testing.T) {
	for pattern, want := range map[string]string{
		"/items/{id}":                  "/items/{id}",
		"GET /items/{id}":              "/items/{id}",
		"POST shop.example/orders/{$}": "/orders/{$}",
		"shop.example/":                "/",
		"GET  /spaces":                 "/spaces",
	} {
		if got := route(pattern); got != want {
			t.Errorf("route(%q) = %q, want %q", pattern, got, want)
		}
	}
}

// TestHandlerGivesOtelhttpItsLabeler checks what the Handler relies on
// otelhttp for: that otelhttp derives the handler's request context from
// the one it is given (where the exchange is), and uses the Labeler given
// it by otelhttp.ContextWithLabeler rather than making its own (TestSetRoute
// checks that the metrics get what SetRoute adds to it). It also checks
// the allocation target: at most 2 a request more than otelhttp alone.
func TestHandlerGivesOtelhttpItsLabeler(t *testing.T) {
	var found, same bool
	h := Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x, ok := r.Context().Value(exchangeKey{}).(*exchange)
		l, _ := otelhttp.LabelerFromContext(r.Context())
		found, same = ok, ok && l == &x.labeler
	}), "labeler")
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	if !found || !same {
		t.Errorf("in the handler's context: exchange found %v, otelhttp's Labeler the exchange's %v; want both", found, same)
	}

	tp := sdktrace.NewTracerProvider()
	defer tp.Shutdown(context.Background())
	allocs := func(h http.Handler) float64 {
		req := httptest.NewRequest(http.MethodGet, "/items/7", nil)
		// The least of three: a pool emptied by a collection adds some.
		return min(testing.AllocsPerRun(50, func() { h.ServeHTTP(httptest.NewRecorder(), req) }),
			testing.AllocsPerRun(50, func() { h.ServeHTTP(httptest.NewRecorder(), req) }),
			testing.AllocsPerRun(50, func() { h.ServeHTTP(httptest.NewRecorder(), req) }))
	}
	peer := allocs(otelhttp.NewHandler(okHandler, "bench", otelhttp.WithTracerProvider(tp)))
	ours := allocs(Handler(okHandler, "bench", WithTracerProvider(tp)))
	if ours > peer+2 {
		t.Errorf("Handler makes %v allocations a request, otelhttp %v: more than 2 above", ours, peer)
	}
	t.Logf("allocations a request: Handler %v, otelhttp %v", ours, peer)
}

// A request otelhttp's filter lets through untraced, and a Handler inside
// another, still get the Handler's answer: the safe page for a 500, and
// for the inner Handler its own span marked, with the caller's trace.
func TestHandlerFilteredAndNested(t *testing.T) {
	fail := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) })

	rec := newRecorder(t)
	resp, body := serve(t, rec, fail, "", WithFilter(func(*http.Request) bool { return false }))
	if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(body, "<h1>Internal Server Error</h1>") {
		t.Errorf("filtered: status %d, body %q; want 500 with the safe page", resp.StatusCode, body)
	}
	if n := len(rec.Ended()); n != 0 {
		t.Errorf("filtered: %d spans, want none", n)
	}

	rec = newRecorder(t)
	inner := Handler(fail, "inner", rec.options()...)
	resp, _ = serve(t, rec, inner.ServeHTTP, "")
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("nested: status %d, want 500", resp.StatusCode)
	}
	spans := rec.Ended()
	if len(spans) != 2 {
		t.Fatalf("nested: spans %v, want the inner and the outer server span", spanNames(spans))
	}
	in, out := spans[0], spans[1]
	if in.Parent().SpanID() != out.SpanContext().SpanID() || in.SpanContext().TraceID() != out.SpanContext().TraceID() {
		t.Errorf("nested: the inner span is not the outer one's child")
	}
	checkMarks(t, in, marks{origin: true, cause: vocab.CauseAppError, errorType: "500"})
}

// net/http removes the temporary files of a multipart form only if it
// finds the form on the request it gave the handler: the form a handler
// parsed goes back there, traced or filtered.
func TestHandlerGivesBackTheMultipartForm(t *testing.T) {
	var body bytes.Buffer
	form := multipart.NewWriter(&body)
	part, _ := form.CreateFormFile("upload", "a.txt")
	part.Write([]byte("file content"))
	form.Close()
	parse := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseMultipartForm(0); err != nil { // 0: the file goes to disk
			t.Errorf("ParseMultipartForm: %v", err)
		}
	})
	for name, opts := range map[string][]Option{
		"traced":   nil,
		"filtered": {WithFilter(func(*http.Request) bool { return false })},
	} {
		t.Run(name, func(t *testing.T) {
			rec := newRecorder(t)
			r := httptest.NewRequest(http.MethodPost, "/upload", bytes.NewReader(body.Bytes()))
			r.Header.Set("Content-Type", form.FormDataContentType())
			Handler(parse, "upload", rec.options(opts...)...).ServeHTTP(httptest.NewRecorder(), r)
			if r.MultipartForm == nil || len(r.MultipartForm.File["upload"]) != 1 {
				t.Fatalf("the given request has form %v, want the parsed one", r.MultipartForm)
			}
			r.MultipartForm.RemoveAll()
		})
	}
}
