// Package depthlimit is a collector extension (type "depth_limit") that
// refuses OTLP requests whose attribute values nest deeper than a limit,
// before the receiver unmarshals them.
//
// OTLP's AnyValue may hold an array or a map of AnyValues, to any depth,
// and pdata unmarshals it recursively: a request that nests a million
// levels takes about 1 GB of goroutine stack, and a little deeper
// overflows it (fatal error: stack overflow): the collector dies with
// every trace tail sampling held. No real telemetry nests more than a
// few levels, so the extension counts the levels first, in linear time
// and bounded stack, and refuses a request beyond max_depth (default 100): HTTP answers 400,
// gRPC fails the call (see README.md for its status code). Other requests
// pass unchanged.
//
// It is a middleware of the OTLP receiver's servers, both protocols:
//
//	extensions:
//	  depth_limit:
//	    max_depth: 100
//	receivers:
//	  otlp:
//	    protocols:
//	      grpc:
//	        middlewares: [{id: depth_limit}]
//	      http:
//	        middlewares: [{id: depth_limit}]
//	service:
//	  extensions: [depth_limit]
package depthlimit
