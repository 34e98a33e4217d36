package exporters

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/propagation"
)

// Environment variables read by Setup itself. The exporters, the batch span
// processor and the TracerProvider read their own variables.
const (
	envSDKDisabled    = "OTEL_SDK_DISABLED"
	envTracesExporter = "OTEL_TRACES_EXPORTER"
	envTracesProtocol = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
	envProtocol       = "OTEL_EXPORTER_OTLP_PROTOCOL"
	envPropagators    = "OTEL_PROPAGATORS"
	// The batch span processor's queue size: Setup reads it to know the
	// capacity it counts drops against (queueLimit), and passes it on.
	envBSPMaxQueueSize = "OTEL_BSP_MAX_QUEUE_SIZE"
)

const (
	protocolGRPC         = "grpc"
	protocolHTTPProtobuf = "http/protobuf"

	exporterOTLP    = "otlp"
	exporterConsole = "console"
	exporterNone    = "none"
)

// envInt returns the positive integer in the environment variable key, or
// def when it is unset or not one (as the SDK reads OTEL_BSP_*).
func envInt(key string, def int) int {
	n, err := strconv.Atoi(strings.TrimSpace(os.Getenv(key)))
	if err != nil || n <= 0 {
		return def
	}
	return n
}

// sdkDisabled reports whether OTEL_SDK_DISABLED is "true" (any case); every
// other value, including unset, means enabled, as the specification says.
func sdkDisabled() bool {
	return strings.EqualFold(strings.TrimSpace(os.Getenv(envSDKDisabled)), "true")
}

// list splits a comma-separated variable into trimmed, non-empty,
// de-duplicated items in order.
func list(v string) []string {
	var out []string
	for item := range strings.SplitSeq(v, ",") {
		item = strings.TrimSpace(item)
		if item != "" && !slices.Contains(out, item) {
			out = append(out, item)
		}
	}
	return out
}

// tracesExporters returns the exporter names from OTEL_TRACES_EXPORTER:
// "otlp" when unset, nil for "none".
func tracesExporters() ([]string, error) {
	names := list(os.Getenv(envTracesExporter))
	if len(names) == 0 {
		return []string{exporterOTLP}, nil
	}
	for _, n := range names {
		switch n {
		case exporterOTLP, exporterConsole:
		case exporterNone:
			if len(names) > 1 {
				return nil, fmt.Errorf("exporters: %s=%q: %q cannot be combined with other exporters",
					envTracesExporter, os.Getenv(envTracesExporter), exporterNone)
			}
			return nil, nil
		default:
			return nil, fmt.Errorf("exporters: %s: unsupported exporter %q; accepted values: %q, %q, %q",
				envTracesExporter, n, exporterOTLP, exporterConsole, exporterNone)
		}
	}
	return names, nil
}

// otlpProtocol returns the OTLP transport from
// OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, falling back to
// OTEL_EXPORTER_OTLP_PROTOCOL and then to "grpc".
func otlpProtocol() (string, error) {
	for _, name := range []string{envTracesProtocol, envProtocol} {
		v := strings.TrimSpace(os.Getenv(name))
		if v == "" {
			continue
		}
		if v == protocolGRPC || v == protocolHTTPProtobuf {
			return v, nil
		}
		return "", fmt.Errorf("exporters: %s=%q is not supported; accepted values: %q, %q",
			name, v, protocolGRPC, protocolHTTPProtobuf)
	}
	return protocolGRPC, nil
}

// propagator builds the propagator named by OTEL_PROPAGATORS, W3C trace
// context plus baggage when unset.
func propagator() (propagation.TextMapPropagator, error) {
	names := list(os.Getenv(envPropagators))
	if len(names) == 0 {
		names = []string{"tracecontext", "baggage"}
	}
	var props []propagation.TextMapPropagator
	for _, n := range names {
		switch n {
		case "tracecontext":
			props = append(props, propagation.TraceContext{})
		case "baggage":
			props = append(props, propagation.Baggage{})
		case "none":
			if len(names) > 1 {
				return nil, fmt.Errorf("exporters: %s=%q: %q cannot be combined with other propagators",
					envPropagators, os.Getenv(envPropagators), "none")
			}
		default:
			return nil, fmt.Errorf("exporters: %s: unsupported propagator %q; accepted values: %q, %q, %q",
				envPropagators, n, "tracecontext", "baggage", "none")
		}
	}
	return propagation.NewCompositeTextMapPropagator(props...), nil
}
