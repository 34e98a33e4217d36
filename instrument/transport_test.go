package instrument

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/vocab"
)

// closedURL returns the URL of a local port nobody listens on.
func closedURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close()
	return url
}

func TestTransportMarks(t *testing.T) {
	slow := make(chan struct{})
	t.Cleanup(func() { close(slow) })
	tests := []struct {
		name     string
		url      func(t *testing.T) string // the server to call
		ctx      func(t *testing.T) (context.Context, context.CancelFunc)
		wantCode codes.Code
		wantSpan marks
	}{
		{
			name:     "success",
			url:      answering(200, ""),
			wantSpan: marks{},
		},
		{
			name:     "connection refused",
			url:      closedURL,
			wantCode: codes.Error,
			wantSpan: marks{origin: true, cause: vocab.CausePeerUnreachable, errorType: "connection_refused"},
		},
		{
			name:     "unknown host",
			url:      func(*testing.T) string { return "http://no-such-host.invalid" },
			wantCode: codes.Error,
			wantSpan: marks{origin: true, cause: vocab.CausePeerUnreachable, errorType: "name_resolution_error"},
		},
		{
			name: "deadline passes",
			url:  hanging(slow),
			ctx: func(t *testing.T) (context.Context, context.CancelFunc) {
				return context.WithTimeout(t.Context(), 50*time.Millisecond)
			},
			wantCode: codes.Error,
			wantSpan: marks{origin: true, cause: vocab.CauseTimeout, errorType: "timeout"},
		},
		{
			name: "caller cancels",
			url:  hanging(slow),
			ctx: func(t *testing.T) (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(t.Context())
				time.AfterFunc(50*time.Millisecond, cancel)
				return ctx, cancel
			},
			wantSpan: marks{cause: vocab.CauseCanceled},
		},
		{
			name:     "a NUL byte in a response header",
			url:      raw("HTTP/1.1 200 OK\r\nX-Bad: a\x00b\r\nContent-Length: 2\r\n\r\nok"),
			wantCode: codes.Error,
			wantSpan: marks{origin: true, cause: vocab.CauseBadResponse, errorType: "malformed_response"},
		},
		{
			name:     "not HTTP at all",
			url:      raw("SSH-2.0-OpenSSH_9.2\r\n\r\n"),
			wantCode: codes.Error,
			wantSpan: marks{origin: true, cause: vocab.CauseBadResponse, errorType: "malformed_response"},
		},
		{
			name:     "5xx from a service without failhop",
			url:      answering(503, ""),
			wantCode: codes.Error,
			wantSpan: marks{propagated: true, cause: vocab.CauseUpstreamError, errorType: "503"},
		},
		{
			name:     "5xx reporting its origin",
			url:      answering(500, "db_error; origin=00f067aa0ba902b7"),
			wantCode: codes.Error,
			wantSpan: marks{propagated: true, cause: vocab.CauseDBError, originSpanID: "00f067aa0ba902b7", errorType: "500"},
		},
		{
			name:     "5xx with a malformed Failhop-Error",
			url:      answering(500, "rm -rf; origin=zz"),
			wantCode: codes.Error,
			wantSpan: marks{propagated: true, cause: vocab.CauseUpstreamError, errorType: "500"},
		},
		{
			name:     "4xx: our request was refused",
			url:      answering(401, ""),
			wantCode: codes.Error,
			wantSpan: marks{origin: true, cause: vocab.CauseUpstreamRejected, errorType: "401"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t)
			ctx, cancel := context.WithCancel(t.Context())
			if tt.ctx != nil {
				ctx, cancel = tt.ctx(t)
			}
			defer cancel()
			client := &http.Client{Transport: Transport(nil, rec.options()...)}
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, tt.url(t), nil)
			if resp, err := client.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			span := rec.span(t, trace.SpanKindClient)
			if span.Status().Code != tt.wantCode {
				t.Errorf("span status = %v, want %v", span.Status(), tt.wantCode)
			}
			checkMarks(t, span, tt.wantSpan)
		})
	}
}

// answering returns a server that answers status with an optional
// Failhop-Error header.
func answering(status int, failhopError string) func(t *testing.T) string {
	return func(t *testing.T) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if failhopError != "" {
				w.Header().Set(ErrorHeader, failhopError)
			}
			w.WriteHeader(status)
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
}

// raw returns a server that answers every request with response, bytes as
// they are, and closes the connection.
func raw(response string) func(t *testing.T) string {
	return func(t *testing.T) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					http.ReadRequest(bufio.NewReader(c))
					io.WriteString(c, response)
				}()
			}
		}()
		return "http://" + ln.Addr().String()
	}
}

// hanging returns a server that answers only once release is closed.
func hanging(release chan struct{}) func(t *testing.T) string {
	return func(t *testing.T) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
}

// TestOriginAcrossServices runs two instrumented servers: the front calls
// the back through Transport, the back fails in a child span. The origin
// must travel back to the front's client and server spans.
func TestOriginAcrossServices(t *testing.T) {
	tests := []struct {
		name      string
		back      func(rec *recorder) http.HandlerFunc
		wantCause vocab.Cause
		originIn  trace.SpanKind // the back's span where the error starts
	}{
		{
			name: "child span error in the back",
			back: func(rec *recorder) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					ctx, span := rec.tp.Tracer("back").Start(r.Context(), "SELECT stock")
					RecordError(ctx, MarkCause(errors.New("no such column"), vocab.CauseDBError))
					span.End()
					w.WriteHeader(500)
				}
			},
			wantCause: vocab.CauseDBError,
			originIn:  trace.SpanKindInternal,
		},
		{
			name: "panic in the back",
			back: func(*recorder) http.HandlerFunc {
				return func(http.ResponseWriter, *http.Request) { panic("index out of range") }
			},
			wantCause: vocab.CausePanic,
			originIn:  trace.SpanKindServer,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			backRec, frontRec := newRecorder(t), newRecorder(t)
			back := httptest.NewServer(Handler(tt.back(backRec), "back", backRec.options()...))
			t.Cleanup(back.Close)
			client := &http.Client{Transport: Transport(nil, frontRec.options()...)}
			front := httptest.NewServer(Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, back.URL, nil)
				resp, err := client.Do(req)
				if err != nil {
					w.WriteHeader(502)
					return
				}
				resp.Body.Close()
				w.WriteHeader(http.StatusBadGateway)
			}), "front", frontRec.options(WithPublicEdge())...))
			t.Cleanup(front.Close)

			resp, err := http.Get(front.URL)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.Header.Get(ErrorHeader) != "" {
				t.Errorf("the public edge leaked %s: %q", ErrorHeader, resp.Header.Get(ErrorHeader))
			}

			var originID string
			for _, s := range backRec.Ended() {
				if s.SpanKind() == tt.originIn && attrs(s)[vocab.KeyOrigin].AsBool() {
					originID = s.SpanContext().SpanID().String()
				}
			}
			if originID == "" {
				t.Fatalf("no origin span of kind %v in the back: %v", tt.originIn, spanNames(backRec.Ended()))
			}
			client502 := frontRec.span(t, trace.SpanKindClient)
			checkMarks(t, client502, marks{propagated: true, cause: tt.wantCause, originSpanID: originID, errorType: "500"})
			checkMarks(t, frontRec.span(t, trace.SpanKindServer), marks{propagated: true, cause: tt.wantCause, originSpanID: originID, errorType: "502"})
		})
	}
}

func TestTransportPeerService(t *testing.T) {
	rec := newRecorder(t)
	client := &http.Client{Transport: Transport(nil, rec.options(WithPeerService("payments"))...)}
	if resp, err := client.Get(closedURL(t)); err == nil {
		resp.Body.Close()
	}
	if got := attrs(rec.span(t, trace.SpanKindClient))["service.peer.name"].AsString(); got != "payments" {
		t.Errorf("service.peer.name = %q, want payments", got)
	}
}

// TestTransportURLTemplate: a call's URL template, from WithURLTemplate or
// the request's Pattern, names its span and is its url.template. (The call
// site a failed call records is checked in cmd/failhop: here the caller is
// package instrument, which MarkCallSite skips as the wrapper's own.)
func TestTransportURLTemplate(t *testing.T) {
	tests := []struct {
		name     string
		opts     []Option
		pattern  string
		wantName string
		wantTmpl string
	}{
		{name: "none", wantName: "HTTP GET"},
		{name: "pattern", pattern: "GET /reviews/{id}", wantName: "GET /reviews/{id}", wantTmpl: "/reviews/{id}"},
		{name: "option", opts: []Option{WithURLTemplate(func(*http.Request) string { return "/reviews/{rid}" })}, pattern: "/reviews/{id}",
			wantName: "GET /reviews/{rid}", wantTmpl: "/reviews/{rid}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t)
			client := &http.Client{Transport: Transport(nil, rec.options(tt.opts...)...)}
			req, _ := http.NewRequest(http.MethodGet, closedURL(t)+"/reviews/42", nil)
			req.Pattern = tt.pattern
			if _, err := client.Do(req); err == nil {
				t.Fatal("a call to a closed port succeeded")
			}
			s := rec.span(t, trace.SpanKindClient)
			a := attrs(s)
			if s.Name() != tt.wantName || a["url.template"].AsString() != tt.wantTmpl {
				t.Errorf("span %q, url.template %q; want %q, %q", s.Name(), a["url.template"].AsString(), tt.wantName, tt.wantTmpl)
			}
		})
	}
}
