package exporters

import (
	"compress/gzip"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
)

// receiver is a real, in-process OTLP trace receiver. It records the
// resource spans of every request it accepts over gRPC or HTTP.
type receiver struct {
	collectortrace.UnimplementedTraceServiceServer

	mu      sync.Mutex
	spans   []*tracepb.ResourceSpans
	headers []metadata.MD // of each request: gRPC metadata, or HTTP headers in lower case
}

func (r *receiver) Export(ctx context.Context, req *collectortrace.ExportTraceServiceRequest) (*collectortrace.ExportTraceServiceResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.spans = append(r.spans, req.GetResourceSpans()...)
	md, _ := metadata.FromIncomingContext(ctx)
	r.headers = append(r.headers, md)
	return &collectortrace.ExportTraceServiceResponse{}, nil
}

func (r *receiver) requestHeaders() []metadata.MD {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.headers)
}

func (r *receiver) resourceSpans() []*tracepb.ResourceSpans {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*tracepb.ResourceSpans(nil), r.spans...)
}

// startGRPCReceiver serves r over OTLP/gRPC on 127.0.0.1 (with opts: TLS)
// and returns its endpoint URL (http://; https:// is for the caller to say).
func startGRPCReceiver(t *testing.T, r *receiver, opts ...grpc.ServerOption) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(opts...)
	collectortrace.RegisterTraceServiceServer(srv, r)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return "http://" + lis.Addr().String()
}

// startHTTPReceiver serves r over OTLP/HTTP with protobuf bodies, plain
// or gzipped, on 127.0.0.1 and returns its endpoint URL.
func startHTTPReceiver(t *testing.T, r *receiver) string {
	t.Helper()
	srv := httptest.NewServer(httpReceiver(r))
	t.Cleanup(srv.Close)
	return srv.URL
}

// startHTTPSReceiver is startHTTPReceiver over TLS; it also returns the
// server's certificate.
func startHTTPSReceiver(t *testing.T, r *receiver) (string, tls.Certificate) {
	t.Helper()
	srv := httptest.NewTLSServer(httpReceiver(r))
	t.Cleanup(srv.Close)
	return srv.URL, srv.TLS.Certificates[0]
}

func httpReceiver(r *receiver) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/traces", func(w http.ResponseWriter, req *http.Request) {
		if ct := req.Header.Get("Content-Type"); ct != "application/x-protobuf" {
			http.Error(w, "unexpected content type "+ct, http.StatusUnsupportedMediaType)
			return
		}
		var body []byte
		var err error
		if req.Header.Get("Content-Encoding") == "gzip" {
			var zr *gzip.Reader
			if zr, err = gzip.NewReader(req.Body); err == nil {
				body, err = io.ReadAll(zr)
			}
		} else {
			body, err = io.ReadAll(req.Body)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var msg collectortrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &msg); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		md := metadata.MD{}
		for k, v := range req.Header {
			md.Append(k, v...)
		}
		resp, err := r.Export(metadata.NewIncomingContext(req.Context(), md), &msg)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		out, _ := proto.Marshal(resp)
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	})
	return mux
}

// closedEndpoint returns the URL of a local port nobody listens on.
func closedEndpoint(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	if err := lis.Close(); err != nil {
		t.Fatal(err)
	}
	return "http://" + addr
}
