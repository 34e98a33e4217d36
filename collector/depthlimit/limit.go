package depthlimit

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"path"
	"reflect"
	"strings"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensionmiddleware"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
)

// limit is the extension: a middleware of the OTLP receiver's HTTP and
// gRPC servers.
type limit struct {
	component.StartFunc
	component.ShutdownFunc
	maxDepth int
	logger   *zap.Logger
	refused  metric.Int64Counter
}

var (
	_ extensionmiddleware.HTTPServer = (*limit)(nil)
	_ extensionmiddleware.GRPCServer = (*limit)(nil)
)

func newLimit(set extension.Settings, maxDepth int) (*limit, error) {
	refused, err := meta.Int64Counter(meta.Meter(set.MeterProvider), "otelcol_depth_limit_refused_requests")
	if err != nil {
		return nil, err
	}
	return &limit{maxDepth: maxDepth, logger: set.Logger, refused: refused}, nil
}

// refuse counts and logs a refused request.
func (l *limit) refuse(ctx context.Context, protocol, from string) {
	l.refused.Add(ctx, 1, metric.WithAttributes(attribute.String("protocol", protocol)))
	l.logger.Warn("refused an OTLP request whose values nest too deep", zap.String("protocol", protocol), zap.String("from", from), zap.Int("max_depth", l.maxDepth))
}

// signals maps the last element of an OTLP/HTTP path to its request type.
var signals = map[string]message{"traces": traceRequest, "logs": logsRequest, "metrics": metricsRequest}

// GetHTTPHandler wraps the OTLP/HTTP receiver: the body (already
// decompressed and bounded by max_request_body_size) is checked before the
// receiver reads it; a request too deep gets 400 and never reaches it.
func (l *limit) GetHTTPHandler(context.Context) (extensionmiddleware.WrapHTTPHandlerFunc, error) {
	return func(_ context.Context, next http.Handler) (http.Handler, error) {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPost || r.Body == nil {
				next.ServeHTTP(w, r)
				return
			}
			body, err := io.ReadAll(r.Body)
			if err != nil {
				var tooLarge *http.MaxBytesError
				status := http.StatusBadRequest
				if errors.As(err, &tooLarge) {
					status = http.StatusRequestEntityTooLarge
				}
				http.Error(w, err.Error(), status)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
			switch {
			case mediaType == "application/json":
				err = checkJSON(body, l.maxDepth)
			case signals[path.Base(r.URL.Path)] != other:
				err = checkProto(body, signals[path.Base(r.URL.Path)], l.maxDepth)
			}
			if err != nil {
				l.refuse(r.Context(), "http", r.RemoteAddr)
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			next.ServeHTTP(w, r)
		}), nil
	}, nil
}

// GetGRPCServerOptions replaces the server's codec by one that checks an
// OTLP export request before the registered "proto" codec (pdata's)
// unmarshals it. grpc-go turns a codec's error into status Internal
// ("grpc: failed to unmarshal the received message: ..."), which OTLP
// exporters do not retry.
func (l *limit) GetGRPCServerOptions(context.Context) ([]grpc.ServerOption, error) {
	base := encoding.GetCodecV2("proto")
	if base == nil {
		return nil, errors.New("depth_limit: no gRPC proto codec registered")
	}
	return []grpc.ServerOption{grpc.ForceServerCodecV2(checkingCodec{CodecV2: base, limit: l})}, nil
}

// checkingCodec is the proto codec, checking OTLP export requests first.
type checkingCodec struct {
	encoding.CodecV2
	limit *limit
}

// grpcRequests maps the type names of the export requests (pdata's
// internal types, known by name) to their message.
var grpcRequests = map[string]message{
	"ExportTraceServiceRequest":   traceRequest,
	"ExportLogsServiceRequest":    logsRequest,
	"ExportMetricsServiceRequest": metricsRequest,
}

func (c checkingCodec) Unmarshal(data mem.BufferSlice, v any) error {
	t := reflect.TypeOf(v)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil {
		if m := grpcRequests[t.Name()]; m != other && strings.HasPrefix(t.PkgPath(), "go.opentelemetry.io/") {
			buf := data.MaterializeToBuffer(mem.DefaultBufferPool())
			err := checkProto(buf.ReadOnlyData(), m, c.limit.maxDepth)
			buf.Free()
			if err != nil {
				c.limit.refuse(context.Background(), "grpc", "")
				return err
			}
		}
	}
	return c.CodecV2.Unmarshal(data, v)
}
