// Package instrumentgrpc traces gRPC servers and clients with otelgrpc and
// writes failhop's marks on the calls that failed, as package instrument
// does for HTTP: where a failure started, and which spans only passed it
// on. It is a package of its own so that services without gRPC do not
// link it.
//
//	srv := grpc.NewServer(instrumentgrpc.ServerOptions()...)
//	conn, err := grpc.NewClient(addr, append(instrumentgrpc.DialOptions(instrument.WithPeerService("payments")),
//		grpc.WithTransportCredentials(insecure.NewCredentials()))...)
//
// The spans are otelgrpc's, with its attributes (rpc.system.name,
// rpc.method, rpc.response.status_code). On top of them:
//
// A server call that ends with a code of the server's fault (UNKNOWN,
// DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS, by the
// semantic conventions) is the origin when nothing under it failed
// (failhop.cause=app_error), and propagated, with failhop.origin_span_id,
// when a span under it failed (an HTTP call, a query, another gRPC call):
// the same request record as instrument.Handler's, so an HTTP handler
// calling gRPC and a gRPC handler calling HTTP or SQL mark each other. A
// code of the caller's doing (INVALID_ARGUMENT, NOT_FOUND, CANCELLED...)
// is not a server error. A panic is recovered, recorded on the server span
// (an exception event with its stack, error.type, status Error, cause
// panic) and answered INTERNAL with a message that holds the trace ID and
// nothing of the panic. The server tells its caller why it failed in the
// trailer metadata ErrorTrailer, as the Failhop-Error HTTP header does;
// instrument.WithPublicEdge leaves it out.
//
// A client call that ended in error is marked by its code: UNAVAILABLE with
// no answer from the server is the origin, peer_unreachable;
// DEADLINE_EXCEEDED a timeout; RESOURCE_EXHAUSTED resource_exhausted; the
// caller's mistakes (INVALID_ARGUMENT, PERMISSION_DENIED, UNAUTHENTICATED...)
// upstream_rejected, all origins. An error the server answered (INTERNAL,
// UNKNOWN...) propagated the server's failure: its cause and origin span
// come from ErrorTrailer, else upstream_error. A call canceled by the caller
// (its context canceled) gets failhop.cause=canceled and is not an error
// (status Unset); a CANCELLED that the server answered on its own, the
// caller's context still live, is the server giving up: upstream_error, the
// origin. On a stream, the status at the end of the stream decides.
package instrumentgrpc
