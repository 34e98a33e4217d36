package depthlimit

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// message is an OTLP message type on the way from an export request down
// to its AnyValues: the ones whose fields the scan follows.
type message uint8

const (
	other message = iota // not followed
	traceRequest
	resourceSpans
	scopeSpans
	span
	spanEvent
	spanLink
	logsRequest
	resourceLogs
	scopeLogs
	logRecord
	metricsRequest
	resourceMetrics
	scopeMetrics
	metricMsg
	numberPoints // Gauge and Sum
	histogram
	exponentialHistogram
	summary
	numberPoint
	histogramPoint
	exponentialHistogramPoint
	summaryPoint
	exemplar
	resource
	scope
	keyValue
	anyValue
	arrayValue
	keyValueList
	messages
)

// fields maps each message to the fields that hold messages the scan
// follows, by field number (opentelemetry-proto; the same numbers as
// pdata's generated unmarshalling).
var fields = [messages]map[protowire.Number]message{
	traceRequest:              {1: resourceSpans},
	resourceSpans:             {1: resource, 2: scopeSpans, 1000: scopeSpans},
	scopeSpans:                {1: scope, 2: span},
	span:                      {9: keyValue, 11: spanEvent, 13: spanLink},
	spanEvent:                 {3: keyValue},
	spanLink:                  {4: keyValue},
	logsRequest:               {1: resourceLogs},
	resourceLogs:              {1: resource, 2: scopeLogs, 1000: scopeLogs},
	scopeLogs:                 {1: scope, 2: logRecord},
	logRecord:                 {5: anyValue, 6: keyValue},
	metricsRequest:            {1: resourceMetrics},
	resourceMetrics:           {1: resource, 2: scopeMetrics, 1000: scopeMetrics},
	scopeMetrics:              {1: scope, 2: metricMsg},
	metricMsg:                 {5: numberPoints, 7: numberPoints, 9: histogram, 10: exponentialHistogram, 11: summary, 12: keyValue},
	numberPoints:              {1: numberPoint},
	histogram:                 {1: histogramPoint},
	exponentialHistogram:      {1: exponentialHistogramPoint},
	summary:                   {1: summaryPoint},
	numberPoint:               {5: exemplar, 7: keyValue},
	histogramPoint:            {8: exemplar, 9: keyValue},
	exponentialHistogramPoint: {1: keyValue, 11: exemplar},
	summaryPoint:              {7: keyValue},
	exemplar:                  {7: keyValue},
	resource:                  {1: keyValue},
	scope:                     {3: keyValue},
	keyValue:                  {2: anyValue},
	anyValue:                  {5: arrayValue, 6: keyValueList},
	arrayValue:                {1: anyValue},
	keyValueList:              {1: keyValue},
}

// tooDeepError says that a request nests values deeper than the limit.
type tooDeepError struct{ limit int }

func (e tooDeepError) Error() string {
	return fmt.Sprintf("OTLP request refused: attribute values nest more than %d levels deep (an AnyValue in an AnyValue); no telemetry needs that many, and unmarshalling them could crash the collector", e.limit)
}

// checkProto returns a tooDeepError if the protobuf message b of type m
// nests AnyValues deeper than limit. It reads b once; its own recursion
// is bounded by the schema's depth plus limit. It does not validate: a
// malformed message is left for the receiver to refuse.
func checkProto(b []byte, m message, limit int) error {
	return scan(b, m, 0, limit)
}

func scan(b []byte, m message, depth, limit int) error {
	if m == anyValue {
		if depth++; depth > limit {
			return tooDeepError{limit}
		}
	}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil
		}
		b = b[n:]
		if typ != protowire.BytesType {
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				return nil
			}
			b = b[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return nil
		}
		b = b[n:]
		if child := fields[m][num]; child != other {
			if err := scan(v, child, depth, limit); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkJSON returns a tooDeepError if the JSON in b nests objects and
// arrays deeper than an OTLP request whose values nest limit deep can:
// each AnyValue level is four in a map ({"kvlistValue":{"values":[{"key"...),
// three in an array, and the request's own structure adds a dozen. So a
// request of maps is refused just beyond limit, one of arrays at about 4/3
// of it: the check keeps the decoder's recursion bounded, by bracket
// counting, in one pass without recursion.
func checkJSON(b []byte, limit int) error {
	maxNesting := 4*limit + 16
	depth, inString, escaped := 0, false, false
	for _, c := range b {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			if depth++; depth > maxNesting {
				return tooDeepError{limit}
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}
