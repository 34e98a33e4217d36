package vocab

import "fmt"

// gRPC status codes, by number, as rpc.grpc.status_code holds them (and
// google.golang.org/grpc/codes numbers them); the names are in
// rpc.response.status_code.
const (
	grpcCanceled          = 1
	grpcUnknown           = 2
	grpcInvalidArgument   = 3
	grpcDeadlineExceeded  = 4
	grpcNotFound          = 5
	grpcAlreadyExists     = 6
	grpcPermissionDenied  = 7
	grpcResourceExhausted = 8
	grpcFailedPrecond     = 9
	grpcOutOfRange        = 11
	grpcUnimplemented     = 12
	grpcInternal          = 13
	grpcUnavailable       = 14
	grpcDataLoss          = 15
	grpcUnauthenticated   = 16
)

// GRPCServerFault reports whether a gRPC status code is the server's
// fault, by the semantic conventions: UNKNOWN, DEADLINE_EXCEEDED,
// UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS. The others are the
// caller's doing (INVALID_ARGUMENT, NOT_FOUND, CANCELLED...) or not
// errors.
func GRPCServerFault(code int) bool {
	switch code {
	case grpcUnknown, grpcDeadlineExceeded, grpcUnimplemented, grpcInternal, grpcUnavailable, grpcDataLoss:
		return true
	}
	return false
}

// GRPCClientCause is the cause of a client call that ended with a non-OK
// gRPC code: DEADLINE_EXCEEDED a timeout, UNAVAILABLE an unreachable peer,
// RESOURCE_EXHAUSTED itself, CANCELLED canceled, the caller's mistakes
// (INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED, UNAUTHENTICATED...) a
// rejected request, anything else an error of the server's.
func GRPCClientCause(code int) Cause {
	switch code {
	case grpcCanceled:
		return CauseCanceled
	case grpcDeadlineExceeded:
		return CauseTimeout
	case grpcUnavailable:
		return CausePeerUnreachable
	case grpcResourceExhausted:
		return CauseResourceExhausted
	case grpcInvalidArgument, grpcNotFound, grpcAlreadyExists, grpcPermissionDenied, grpcFailedPrecond, grpcOutOfRange, grpcUnauthenticated:
		return CauseUpstreamRejected
	}
	return CauseUpstreamError
}

// grpcCodeNames are the gRPC status codes' names, by number, as the
// semantic conventions write them in rpc.response.status_code and
// error.type.
var grpcCodeNames = [...]string{
	"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
	"ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
	"ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
	"UNAUTHENTICATED",
}

// GRPCCodeName returns a gRPC status code's name ("DEADLINE_EXCEEDED"),
// or "CODE_n" for a number gRPC does not define.
func GRPCCodeName(code int) string {
	if code >= 0 && code < len(grpcCodeNames) {
		return grpcCodeNames[code]
	}
	return fmt.Sprintf("CODE_%d", code)
}

// GRPCCode returns the number of a gRPC status code's name, and false for
// a name gRPC does not define.
func GRPCCode(name string) (int, bool) {
	for i, n := range grpcCodeNames {
		if n == name {
			return i, true
		}
	}
	return 0, false
}
