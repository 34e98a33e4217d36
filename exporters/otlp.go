package exporters

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	grpcgzip "google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// userAgent names the exporter to the collector.
const userAgent = "failhop-exporters (OTLP, pdata)"

// otlpExporter sends spans over OTLP/gRPC or OTLP/HTTP (protobuf), as the
// SDK's otlptracegrpc and otlptracehttp do and configured by the same
// variables (otlpSettings), but converts them into the collector's pdata
// (tracesFromSpans) and marshals them with pdata's generated code, for
// about half the SDK exporters' CPU per span (docs/performance.md).
//
// Like the SDK's, it retries what the OTLP specification calls retryable
// (gRPC Unavailable and the like, HTTP 429, 502, 503 and 504), honouring
// the server's RetryInfo or Retry-After, with exponential backoff, within
// the export timeout (OTEL_EXPORTER_OTLP_TIMEOUT, 10 s by default).
type otlpExporter struct {
	settings otlpSettings
	export   func(ctx context.Context, req ptraceotlp.ExportRequest) error
	close    func() error
}

// newOTLPExporter creates the exporter for protocol with the settings s
// read from the environment. It does not connect: gRPC connects on the
// first export, HTTP per request.
func newOTLPExporter(protocol string, s otlpSettings) (sdktrace.SpanExporter, error) {
	e := &otlpExporter{settings: s}
	if protocol == protocolHTTPProtobuf {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		if s.tls != nil && !s.insecure {
			tr.TLSClientConfig = s.tls
		}
		client := &http.Client{Transport: tr}
		e.export = func(ctx context.Context, req ptraceotlp.ExportRequest) error { return e.post(ctx, client, req) }
		e.close = func() error { tr.CloseIdleConnections(); return nil }
		return e, nil
	}
	creds := insecure.NewCredentials()
	if !s.insecure {
		creds = credentials.NewTLS(s.tls)
	}
	conn, err := grpc.NewClient(s.target, grpc.WithTransportCredentials(creds), grpc.WithUserAgent(userAgent))
	if err != nil {
		return nil, fmt.Errorf("exporters: OTLP/gRPC target %q: %w", s.target, err)
	}
	client := ptraceotlp.NewGRPCClient(conn)
	var callOpts []grpc.CallOption
	if s.gzip {
		callOpts = append(callOpts, grpc.UseCompressor(grpcgzip.Name))
	}
	md := metadata.MD{}
	for k, v := range s.headers {
		md.Set(k, v...)
	}
	e.export = func(ctx context.Context, req ptraceotlp.ExportRequest) error {
		resp, err := client.Export(metadata.NewOutgoingContext(ctx, md), req, callOpts...)
		if err != nil {
			return grpcRetry(err)
		}
		return rejected(resp)
	}
	e.close = conn.Close
	return e, nil
}

// ExportSpans sends spans in one request, retried as the type says.
func (e *otlpExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if len(spans) == 0 {
		return nil
	}
	req := ptraceotlp.NewExportRequestFromTraces(tracesFromSpans(spans))
	ctx, cancel := context.WithTimeout(ctx, e.settings.timeout)
	defer cancel()
	// The SDK exporters' backoff: 5 s, growing by half up to 30 s, for at
	// most a minute (the timeout usually ends it first).
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.MaxInterval = 5*time.Second, 30*time.Second
	var last error // the last attempt's: what a timeout between attempts would hide
	_, err := backoff.Retry(ctx, func() (struct{}, error) { last = e.export(ctx, req); return struct{}{}, last },
		backoff.WithBackOff(b), backoff.WithMaxElapsedTime(time.Minute))
	switch {
	case err == nil:
		return nil
	case last != nil && !errors.Is(err, last):
		return fmt.Errorf("exporters: OTLP export of %d spans: %w (gave up: %v)", len(spans), last, err)
	default:
		return fmt.Errorf("exporters: OTLP export of %d spans: %w", len(spans), err)
	}
}

// Shutdown closes the connection. Spans are flushed by the batch span
// processor in front of the exporter before it is shut down.
func (e *otlpExporter) Shutdown(context.Context) error { return e.close() }

// post sends req over OTLP/HTTP.
func (e *otlpExporter) post(ctx context.Context, client *http.Client, req ptraceotlp.ExportRequest) error {
	body, err := req.MarshalProto()
	if err != nil {
		return backoff.Permanent(err)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, e.settings.url, nil)
	if err != nil {
		return backoff.Permanent(err)
	}
	for k, v := range e.settings.headers {
		hreq.Header[k] = v
	}
	hreq.Header.Set("Content-Type", "application/x-protobuf")
	hreq.Header.Set("User-Agent", userAgent)
	if e.settings.gzip {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(body)
		_ = zw.Close()
		body = buf.Bytes()
		hreq.Header.Set("Content-Encoding", "gzip")
	}
	hreq.Body = io.NopCloser(bytes.NewReader(body))
	hreq.ContentLength = int64(len(body))
	hreq.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }

	resp, err := client.Do(hreq)
	if err != nil {
		return err // retried: the collector may be restarting
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode/100 == 2:
		if err != nil || len(respBody) == 0 || resp.Header.Get("Content-Type") != "application/x-protobuf" {
			return nil
		}
		r := ptraceotlp.NewExportResponse()
		if r.UnmarshalProto(respBody) != nil {
			return nil
		}
		return rejected(r)
	case resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode == http.StatusBadGateway,
		resp.StatusCode == http.StatusServiceUnavailable, resp.StatusCode == http.StatusGatewayTimeout:
		err := fmt.Errorf("%s answered %s", e.settings.url, resp.Status)
		if secs, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && secs > 0 {
			return errors.Join(err, backoff.RetryAfter(secs))
		}
		return err
	default:
		return backoff.Permanent(fmt.Errorf("%s answered %s: %s", e.settings.url, resp.Status, strings.TrimSpace(string(respBody))))
	}
}

// rejected reports the spans a collector refused in a partial success.
func rejected(resp ptraceotlp.ExportResponse) error {
	ps := resp.PartialSuccess()
	if ps.RejectedSpans() == 0 {
		return nil
	}
	return backoff.Permanent(fmt.Errorf("the collector rejected %d spans: %s", ps.RejectedSpans(), ps.ErrorMessage()))
}

// grpcRetry says whether a failed gRPC export is retried: the codes the
// OTLP specification calls retryable, and RESOURCE_EXHAUSTED only when the
// server says when to retry (RetryInfo), as the SDK does.
func grpcRetry(err error) error {
	st := status.Convert(err)
	var after time.Duration
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			after = ri.GetRetryDelay().AsDuration()
		}
	}
	switch st.Code() {
	case codes.Canceled, codes.DeadlineExceeded, codes.Aborted, codes.OutOfRange, codes.Unavailable, codes.DataLoss:
	case codes.ResourceExhausted:
		if after <= 0 {
			return backoff.Permanent(err)
		}
	default:
		return backoff.Permanent(err)
	}
	if after > 0 {
		return errors.Join(err, backoff.RetryAfter(int(max(after.Round(time.Second), time.Second)/time.Second)))
	}
	return err
}
