// Package request is what failhop's wrappers share about one request:
// their options (config.go), the record of the failures seen under a
// server span (record.go: put in the request context by
// instrument.Handler and instrumentgrpc's server), the marks written on
// spans (marks.go), the errors marked with a cause and how an error is
// classified (cause.go), and what a server tells its caller: the
// Failhop-Error value (a header over HTTP, trailer metadata over gRPC;
// errorheader.go) and the traceresponse header (traceresponse.go).
// Packages instrument and instrumentgrpc use it; it is internal so that
// neither exports the other's machinery.
package request
