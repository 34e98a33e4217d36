package instrument

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"strings"
	"syscall"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/instrument/internal/request"
	"github.com/failhop/failhop/vocab"
)

// Transport wraps base (http.DefaultTransport if nil) with an otelhttp
// client span and the failhop marks:
//
//   - no response (refused, DNS, TLS, reset, timeout): status Error, a
//     specific error.type ("connection_refused", "timeout"...), and the span
//     is the origin, with cause peer_unreachable or timeout;
//   - an answer that is not HTTP (a malformed status line, a header with a
//     NUL byte): the span is the origin with cause bad_response, since the
//     peer was reached;
//   - a 5xx answer: the span propagated the failure of the downstream
//     service; the cause and origin span it reported in its Failhop-Error
//     header are recorded, else the cause is upstream_error;
//   - a 4xx answer: the span is the origin with cause upstream_rejected,
//     since the request we sent was refused (often bad config or
//     credentials);
//   - the caller gave up (canceled context): cause canceled, and the span is
//     not an error, as that is no fault of the server.
//
// Failures are reported to the request record of the Handler the call is
// made under, so the server span knows its origin.
func Transport(base http.RoundTripper, opts ...Option) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	c := request.NewConfig(opts)
	template := urlTemplate(c.URLTemplate)
	hopts := append(otelhttpOptions(c), otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
		if t := template(r); t != "" {
			return r.Method + " " + t
		}
		return "HTTP " + r.Method // otelhttp's own name for a client span
	}))
	if c.PeerService != "" {
		hopts = append(hopts, otelhttp.WithSpanOptions(trace.WithAttributes(semconv.ServicePeerName(c.PeerService))))
	}
	return otelhttp.NewTransport(failureTransport{base: base, template: template}, hopts...)
}

// urlTemplate returns the function that gives a request's URL template:
// f (WithURLTemplate), else the path of the request's Pattern.
func urlTemplate(f func(*http.Request) string) func(*http.Request) string {
	return func(r *http.Request) string {
		if f != nil {
			if t := f(r); t != "" {
				return t
			}
		}
		if r.Pattern == "" {
			return ""
		}
		_, path, ok := strings.Cut(r.Pattern, "/") // "GET host/path" or "/path"
		if !ok {
			return ""
		}
		return "/" + path
	}
}

// failureTransport runs inside the otelhttp client span.
type failureTransport struct {
	base     http.RoundTripper
	template func(*http.Request) string
}

func (t failureTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	ctx := req.Context()
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return resp, err
	}
	if tmpl := t.template(req); tmpl != "" {
		span.SetAttributes(semconv.URLTemplate(tmpl))
	}
	switch {
	case err != nil:
		// End the span here: otelhttp would mark any error Error and name it
		// by its Go type, where a cancel is not an error and "timeout" says
		// more than "*net.OpError". It ignores calls on an ended span.
		defer span.End()
		cause := transportCause(ctx, err)
		if cause == vocab.CauseCanceled {
			span.SetAttributes(attribute.String(vocab.KeyCause, string(cause)))
			request.RecordFrom(ctx).Add(request.Failure{SpanID: span.SpanContext().SpanID(), Cause: cause, Err: err})
			return resp, err
		}
		span.SetStatus(codes.Error, err.Error())
		span.SetAttributes(semconv.ErrorTypeKey.String(transportErrorType(err)))
		request.FailCall(ctx, span, cause, err)
	case resp.StatusCode >= 500:
		f := request.Failure{SpanID: span.SpanContext().SpanID(), Cause: vocab.CauseUpstreamError}
		if cause, origin, perr := request.ParseErrorHeader(resp.Header.Get(ErrorHeader)); perr == nil {
			f.Cause, f.OriginSpanID = cause, origin
		}
		request.MarkPropagated(span, f)
		request.RecordFrom(ctx).Add(f)
	case resp.StatusCode >= 400:
		request.FailCall(ctx, span, vocab.CauseUpstreamRejected, nil)
	}
	return resp, err
}

// transportCause classifies a failed round trip. The request context tells
// a caller's deadline (timeout) from a caller giving up (canceled).
func transportCause(ctx context.Context, err error) vocab.Cause {
	if ctxErr := ctx.Err(); ctxErr != nil {
		if errors.Is(ctxErr, context.DeadlineExceeded) || request.IsTimeout(context.Cause(ctx)) {
			return vocab.CauseTimeout
		}
		return vocab.CauseCanceled
	}
	if malformedResponse(err) {
		return vocab.CauseBadResponse
	}
	return request.Classify(err, vocab.CausePeerUnreachable)
}

// malformedResponse reports whether a round trip failed on what the peer
// sent back: it answered, but not in HTTP (a malformed status line, or a
// header line with a NUL or no colon). net/http tells a bad header by a
// textproto.ProtocolError, a bad status line by its message only.
func malformedResponse(err error) bool {
	var pe textproto.ProtocolError
	return errors.As(err, &pe) || strings.Contains(err.Error(), "malformed HTTP ")
}

// transportErrorType names a transport failure with a low-cardinality
// identifier, as the HTTP semantic conventions allow for error.type.
func transportErrorType(err error) string {
	var (
		dnsErr     *net.DNSError
		verifyErr  *tls.CertificateVerificationError
		authErr    x509.UnknownAuthorityError
		hostErr    x509.HostnameError
		invalidErr x509.CertificateInvalidError
		recordErr  tls.RecordHeaderError
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded) || request.IsTimeout(err):
		return "timeout"
	case errors.As(err, &dnsErr):
		return "name_resolution_error"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection_refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection_reset"
	case errors.As(err, &verifyErr), errors.As(err, &authErr), errors.As(err, &hostErr),
		errors.As(err, &invalidErr), errors.As(err, &recordErr):
		return "tls_error"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection_closed"
	case malformedResponse(err):
		return "malformed_response"
	}
	return semconv.ErrorType(err).Value.AsString()
}
