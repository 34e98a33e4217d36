// Package pipelinetest checks failhop's collector configurations
// (collector-config/) with the real binaries: bin/failhop-collector
// (scripts/build-collector.sh) and bin/jaeger (scripts/build-tool.sh).
//
// The tests validate every configuration with the binaries' own
// `validate` command, send traces with the OpenTelemetry SDK through a
// collector (single node, and agent + two gateways) into a Jaeger, and
// check what Jaeger stores: the error trace with its marks, and not the
// successful one. TestThroughput (run with FAILHOP_LOADTEST=1) measures
// the collector's throughput with and without the failhop processor.
package pipelinetest
