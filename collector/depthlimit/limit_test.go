package depthlimit

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/failhop/failhop/collector/internal/deepotlp"
)

func newTestLimit(t *testing.T) *limit {
	t.Helper()
	ext, err := NewFactory().Create(context.Background(), extensiontest.NewNopSettings(Type), NewFactory().CreateDefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := ext.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	return ext.(*limit)
}

// nest puts v into depth-1 levels of alternating arrays and maps: depth
// AnyValues in all.
func nest(v pcommon.Value, depth int) {
	for i := 1; i < depth; i++ {
		if i%2 == 1 {
			v = v.SetEmptySlice().AppendEmpty()
		} else {
			v = v.SetEmptyMap().PutEmpty("k")
		}
	}
	v.SetStr("x")
}

// requests returns a request of each signal, as protobuf, whose values
// nest depth deep (with its path on the OTLP/HTTP receiver).
func requests(t *testing.T, depth int) map[string][]byte {
	t.Helper()
	td := ptrace.NewTraces()
	sp := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	sp.SetName("op")
	nest(sp.Events().AppendEmpty().Attributes().PutEmpty("v"), depth)
	ld := plog.NewLogs()
	nest(ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body(), depth)
	md := pmetric.NewMetrics()
	m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("m")
	nest(m.SetEmptyHistogram().DataPoints().AppendEmpty().Exemplars().AppendEmpty().FilteredAttributes().PutEmpty("v"), depth)
	out := map[string][]byte{}
	var err error
	if out["/v1/traces"], err = ptraceotlp.NewExportRequestFromTraces(td).MarshalProto(); err != nil {
		t.Fatal(err)
	}
	if out["/v1/logs"], err = plogotlp.NewExportRequestFromLogs(ld).MarshalProto(); err != nil {
		t.Fatal(err)
	}
	if out["/v1/metrics"], err = pmetricotlp.NewExportRequestFromMetrics(md).MarshalProto(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCheck(t *testing.T) {
	for path, b := range requests(t, DefaultMaxDepth) {
		if err := checkProto(b, signals[path[4:]], DefaultMaxDepth); err != nil {
			t.Errorf("%s at the limit: %v", path, err)
		}
	}
	for path, b := range requests(t, DefaultMaxDepth+1) {
		if err := checkProto(b, signals[path[4:]], DefaultMaxDepth); err == nil {
			t.Errorf("%s beyond the limit passed", path)
		}
	}
	for _, maps := range []bool{false, true} {
		if err := checkProto(deepotlp.Protobuf(DefaultMaxDepth, maps), traceRequest, DefaultMaxDepth); err != nil {
			t.Errorf("deepotlp at the limit (maps %v): %v", maps, err)
		}
		if err := checkProto(deepotlp.Protobuf(DefaultMaxDepth+1, maps), traceRequest, DefaultMaxDepth); err == nil {
			t.Errorf("deepotlp beyond the limit passed (maps %v)", maps)
		}
		// What passes, pdata reads: the payloads are real OTLP.
		req := ptraceotlp.NewExportRequest()
		if err := req.UnmarshalProto(deepotlp.Protobuf(DefaultMaxDepth, maps)); err != nil {
			t.Fatal(err)
		}
		v, _ := req.Traces().ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes().Get("deep")
		levels := 0
		for ; v.Type() == pcommon.ValueTypeSlice || v.Type() == pcommon.ValueTypeMap; levels++ {
			if maps {
				v, _ = v.Map().Get("k")
			} else {
				v = v.Slice().At(0)
			}
		}
		if levels != DefaultMaxDepth-1 || v.Str() != "x" {
			t.Errorf("pdata read %d levels around %q, want %d around x", levels, v.Str(), DefaultMaxDepth-1)
		}
	}
	if err := checkProto(deepotlp.Protobuf(1_100_000, true), traceRequest, DefaultMaxDepth); err == nil {
		t.Error("the crashing payload passed")
	}
	if err := checkJSON(deepotlp.JSON(DefaultMaxDepth), DefaultMaxDepth); err != nil {
		t.Errorf("JSON at the limit: %v", err)
	}
	if err := checkJSON(deepotlp.JSON(DefaultMaxDepth*4/3+5), DefaultMaxDepth); err == nil {
		t.Error("JSON arrays beyond 4/3 of the limit passed")
	}
	for path, b := range requests(t, DefaultMaxDepth) {
		js, err := jsonOf(path, b)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkJSON(js, DefaultMaxDepth); err != nil {
			t.Errorf("%s as JSON at the limit: %v", path, err)
		}
	}
	// Brackets in strings are not nesting.
	if err := checkJSON([]byte(`{"a":"`+strings.Repeat("[{", 1000)+`\"`+`"}`), 10); err != nil {
		t.Errorf("brackets in a string: %v", err)
	}
	req := ptraceotlp.NewExportRequest()
	if err := req.UnmarshalJSON(deepotlp.JSON(DefaultMaxDepth)); err != nil {
		t.Fatal(err)
	}
}

// jsonOf re-encodes a protobuf request of requests as OTLP JSON.
func jsonOf(path string, b []byte) ([]byte, error) {
	switch path {
	case "/v1/traces":
		r := ptraceotlp.NewExportRequest()
		if err := r.UnmarshalProto(b); err != nil {
			return nil, err
		}
		return r.MarshalJSON()
	case "/v1/logs":
		r := plogotlp.NewExportRequest()
		if err := r.UnmarshalProto(b); err != nil {
			return nil, err
		}
		return r.MarshalJSON()
	}
	r := pmetricotlp.NewExportRequest()
	if err := r.UnmarshalProto(b); err != nil {
		return nil, err
	}
	return r.MarshalJSON()
}

func TestHTTP(t *testing.T) {
	l := newTestLimit(t)
	var got []byte
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got, _ = io.ReadAll(r.Body) })
	wrap, _ := l.GetHTTPHandler(context.Background())
	h, err := wrap(context.Background(), next)
	if err != nil {
		t.Fatal(err)
	}
	post := func(path, contentType string, body []byte) *httptest.ResponseRecorder {
		got = nil
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		h.ServeHTTP(w, r)
		return w
	}
	for path, b := range requests(t, 5) {
		if w := post(path, "application/x-protobuf", b); w.Code != http.StatusOK || !bytes.Equal(got, b) {
			t.Errorf("%s: status %d, the receiver got %d of %d bytes", path, w.Code, len(got), len(b))
		}
	}
	for _, tc := range []struct {
		name, contentType string
		body              []byte
	}{
		{"protobuf", "application/x-protobuf", deepotlp.Protobuf(1_100_000, false)},
		{"JSON", "application/json; charset=utf-8", deepotlp.JSON(1_100_000)},
	} {
		w := post("/v1/traces", tc.contentType, tc.body)
		if w.Code != http.StatusBadRequest || got != nil || !strings.Contains(w.Body.String(), "nest more than 100 levels") {
			t.Errorf("%s: status %d %q, receiver reached: %v", tc.name, w.Code, w.Body.String(), got != nil)
		}
	}
}

// rawCodec sends bytes as they are, as a client that does not build the
// request with pdata.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return v.([]byte), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*(v.(*[]byte)) = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

type traceServer struct {
	ptraceotlp.UnimplementedGRPCServer
	spans chan int
}

func (s *traceServer) Export(_ context.Context, req ptraceotlp.ExportRequest) (ptraceotlp.ExportResponse, error) {
	s.spans <- req.Traces().SpanCount()
	return ptraceotlp.NewExportResponse(), nil
}

func TestGRPC(t *testing.T) {
	l := newTestLimit(t)
	opts, err := l.GetGRPCServerOptions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(append(opts, grpc.MaxRecvMsgSize(16<<20))...)
	spans := make(chan int, 10)
	ptraceotlp.RegisterGRPCServer(srv, &traceServer{spans: spans})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(lis)
	defer srv.Stop()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{}), grpc.MaxCallSendMsgSize(16<<20)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	export := func(b []byte) error {
		var resp []byte
		return conn.Invoke(context.Background(), "/opentelemetry.proto.collector.trace.v1.TraceService/Export", b, &resp)
	}
	if err := export(requests(t, 5)["/v1/traces"]); err != nil {
		t.Fatalf("a normal request: %v", err)
	}
	if n := <-spans; n != 1 {
		t.Errorf("the server got %d spans, want 1", n)
	}
	err = export(deepotlp.Protobuf(1_100_000, false))
	if s := status.Convert(err); s.Code() != codes.Internal || !strings.Contains(s.Message(), "nest more than 100 levels") {
		t.Errorf("the crashing payload: %v", err)
	}
	if err := export(deepotlp.Protobuf(DefaultMaxDepth, false)); err != nil {
		t.Errorf("a request at the limit: %v", err)
	}
}
