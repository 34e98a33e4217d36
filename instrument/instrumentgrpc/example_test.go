package instrumentgrpc_test

import (
	"log"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/failhop/failhop/instrument"
	"github.com/failhop/failhop/instrument/instrumentgrpc"
)

// A gRPC server and a client of another service, both traced and marked:
// the two calls of the quick start.
func Example() {
	srv := grpc.NewServer(instrumentgrpc.ServerOptions()...)
	healthpb.RegisterHealthServer(srv, &health{}) // your services
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Stop()

	// instrument.WithPeerService names the callee on the client span, which
	// says who was called when no answer came.
	conn, err := grpc.NewClient(ln.Addr().String(), append(instrumentgrpc.DialOptions(instrument.WithPeerService("payments")),
		grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		log.Print(err)
		return // not log.Fatal, which would skip srv.Stop
	}
	defer conn.Close()
	_ = healthpb.NewHealthClient(conn)
}
