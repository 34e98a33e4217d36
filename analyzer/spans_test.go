package analyzer

import "testing"

// TestFailed is the table of conventions that say a span failed, and of
// the ones that say it did not. The failhop sampler uses the same rule.
func TestFailed(t *testing.T) {
	exception := []Event{{Name: "exception", Attributes: map[string]any{"exception.message": "boom"}}}
	for _, c := range []struct {
		name   string
		span   Span
		failed bool
	}{
		{"status error", Span{Status: StatusError}, true},
		{"error tag bool", Span{Attributes: map[string]any{"error": true}}, true},
		{"error tag string", Span{Attributes: map[string]any{"error": "true"}}, true},
		{"error tag false", Span{Attributes: map[string]any{"error": false}}, false},
		{"error tag wins over ok", Span{Status: StatusOK, Attributes: map[string]any{"error": true}}, true},
		{"server 5xx", Span{Kind: KindServer, Attributes: map[string]any{"http.response.status_code": int64(500)}}, true},
		{"server 5xx legacy", Span{Kind: KindServer, Attributes: map[string]any{"http.status_code": int64(503)}}, true},
		{"server 5xx as string", Span{Kind: KindServer, Attributes: map[string]any{"http.status_code": "502"}}, true},
		{"client 5xx", Span{Kind: KindClient, Attributes: map[string]any{"http.response.status_code": int64(502)}}, true},
		{"client 5xx legacy", Span{Kind: KindClient, Attributes: map[string]any{"http.status_code": int64(500)}}, true},
		{"unspecified kind 5xx (OpenTracing)", Span{Attributes: map[string]any{"http.status_code": int64(500)}}, true},
		{"5xx with status ok", Span{Kind: KindServer, Status: StatusOK, Attributes: map[string]any{"http.response.status_code": int64(500)}}, false},
		{"server 404", Span{Kind: KindServer, Attributes: map[string]any{"http.response.status_code": int64(404)}}, false},
		{"client 404", Span{Kind: KindClient, Attributes: map[string]any{"http.status_code": int64(404)}}, false},
		{"grpc unavailable", Span{Kind: KindClient, Attributes: map[string]any{"rpc.grpc.status_code": int64(14)}}, true},
		{"grpc internal, server", Span{Kind: KindServer, Attributes: map[string]any{"rpc.grpc.status_code": int64(13)}}, true},
		{"grpc by name", Span{Kind: KindServer, Attributes: map[string]any{"rpc.response.status_code": "DEADLINE_EXCEEDED"}}, true},
		{"grpc by number in the new key", Span{Kind: KindServer, Attributes: map[string]any{"rpc.response.status_code": "2"}}, true},
		{"grpc cancelled", Span{Kind: KindClient, Attributes: map[string]any{"rpc.grpc.status_code": int64(1)}}, false},
		{"grpc not found", Span{Kind: KindServer, Attributes: map[string]any{"rpc.response.status_code": "NOT_FOUND"}}, false},
		{"grpc ok", Span{Kind: KindServer, Attributes: map[string]any{"rpc.grpc.status_code": int64(0)}}, false},
		{"exception event", Span{Kind: KindInternal, Events: exception}, true},
		{"exception event, status ok", Span{Status: StatusOK, Events: exception}, false},
		{"exception event, HTTP 200", Span{Kind: KindServer, Events: exception, Attributes: map[string]any{"http.response.status_code": int64(200)}}, false},
		{"a log event", Span{Events: []Event{{Name: "request failed", Attributes: map[string]any{"level": "error"}}}}, false},
		{"nothing", Span{Kind: KindServer}, false},
	} {
		if got := Failed(&c.span); got != c.failed {
			t.Errorf("%s: Failed = %v, want %v", c.name, got, c.failed)
		}
	}
}
