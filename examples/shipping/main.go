// Command shipping is the demo shop's delivery service, over gRPC. It
// serves one unary method,
//
//	/shop.Shipping/Book  {"item_id":1,"qty":2} -> {"slot":"tomorrow 9-12"}
//
// with google.protobuf.Struct messages and a hand-written service
// description (no generated code: see shippingService), and GET /healthz,
// on one port: HTTP/1.1 for the health check, unencrypted HTTP/2 for gRPC.
//
// Demo fault switch (read at start): SHIPPING_PANIC=1 books with a bug
// that panics (a nil map), as a bad release would.
package main

import (
	"context"
	"flag"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/failhop/failhop/examples/internal/demo"
	"github.com/failhop/failhop/exporters"
	"github.com/failhop/failhop/instrument/instrumentgrpc"
	"github.com/failhop/failhop/tracelog"
)

func main() {
	addr := flag.String("addr", demo.Getenv("ADDR", ":8084"), "listen address (env ADDR)")
	flag.Parse()

	slog.SetDefault(slog.New(tracelog.NewHandler(slog.NewTextHandler(os.Stderr, nil))).With("service", "shipping"))
	if err := run(*addr); err != nil {
		slog.Error("shipping stopped", "err", err)
		os.Exit(1)
	}
}

func run(addr string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	shutdown, err := exporters.Setup(ctx,
		exporters.WithServiceName("shipping"),
		exporters.WithServiceVersion(demo.Getenv("SERVICE_VERSION", "1.0.0")))
	if err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := shutdown(ctx); err != nil {
			slog.Warn("traces not flushed", "err", err)
		}
	}()

	// One server span per call, marked when it fails; panics recovered.
	gs := grpc.NewServer(instrumentgrpc.ServerOptions()...)
	gs.RegisterService(&shippingService, &shipper{panics: os.Getenv("SHIPPING_PANIC") == "1"})

	health := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	srv := &http.Server{Addr: addr, ReadHeaderTimeout: 5 * time.Second, Protocols: new(http.Protocols),
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ProtoMajor == 2 && strings.HasPrefix(r.Header.Get("Content-Type"), "application/grpc") {
				gs.ServeHTTP(w, r)
				return
			}
			health.ServeHTTP(w, r)
		})}
	srv.Protocols.SetHTTP1(true)
	srv.Protocols.SetUnencryptedHTTP2(true) // gRPC without TLS, as the shop's other calls are plain HTTP

	return demo.Serve(ctx, srv)
}

// shippingService describes the gRPC service by hand, as protoc-gen-go-grpc
// would from
//
//	service Shipping { rpc Book(google.protobuf.Struct) returns (google.protobuf.Struct); }
var shippingService = grpc.ServiceDesc{
	ServiceName: "shop.Shipping",
	HandlerType: (*interface {
		book(context.Context, *structpb.Struct) (*structpb.Struct, error)
	})(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Book",
		Handler: func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
			in := new(structpb.Struct)
			if err := dec(in); err != nil {
				return nil, err
			}
			book := func(ctx context.Context, req any) (any, error) {
				return srv.(*shipper).book(ctx, req.(*structpb.Struct))
			}
			if interceptor == nil {
				return book(ctx, in)
			}
			return interceptor(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: "/shop.Shipping/Book"}, book)
		},
	}},
}

type shipper struct {
	panics bool // demo fault switch: SHIPPING_PANIC
}

func (s *shipper) book(ctx context.Context, req *structpb.Struct) (*structpb.Struct, error) {
	item, qty := req.Fields["item_id"].GetNumberValue(), req.Fields["qty"].GetNumberValue()
	if item <= 0 || qty <= 0 {
		return nil, status.Error(codes.InvalidArgument, "want item_id and qty > 0")
	}
	var carriers map[string]string
	if !s.panics {
		carriers = map[string]string{}
	}
	carriers["default"] = "tomorrow 9-12" // the bug: a nil map with SHIPPING_PANIC=1
	slog.InfoContext(ctx, "booked", "item", item, "qty", qty)
	return structpb.NewStruct(map[string]any{"slot": carriers["default"]})
}
