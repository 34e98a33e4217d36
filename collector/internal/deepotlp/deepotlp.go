// Package deepotlp builds OTLP trace export requests whose one attribute
// value nests arrays to a given depth: the payload that overflowed pdata's
// recursive unmarshalling. It builds them without recursion (pdata's own
// marshalling would overflow too), for the tests of the depth limit.
package deepotlp

import (
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

// Protobuf returns an ExportTraceServiceRequest, as protobuf, with one
// span whose attribute "deep" nests levels AnyValues in one another, the
// innermost the string "x": each holding an array of one (or with maps, a
// map of one key, "k").
func Protobuf(levels int, maps bool) []byte {
	inner := protowire.AppendTag(nil, 1, protowire.BytesType) // AnyValue.string_value
	inner = protowire.AppendString(inner, "x")
	// A level is the AnyValue's tag and length, then the tags and lengths
	// of what holds the next AnyValue: an ArrayValue (array_value 5,
	// values 1) or a KeyValueList and its KeyValue (kvlist_value 6,
	// values 1, key 1 "k", value 2). Their sizes are counted from the
	// inside out, then written from the outside in.
	wrappers := []protowire.Number{5, 1}
	if maps {
		wrappers = []protowire.Number{6, 1, 2}
	}
	sizes := make([]int, 0, levels*len(wrappers))
	size := len(inner)
	for range levels - 1 {
		for i := len(wrappers) - 1; i >= 0; i-- {
			sizes = append(sizes, size)
			size += 1 + protowire.SizeVarint(uint64(size))
			if maps && i == 2 {
				size += 3 // KeyValue.key "k"
			}
		}
	}
	value := make([]byte, 0, size)
	for j := len(sizes) - 1; j >= 0; {
		for i := range wrappers {
			if maps && i == 2 {
				value = protowire.AppendTag(value, 1, protowire.BytesType)
				value = protowire.AppendString(value, "k")
			}
			value = protowire.AppendTag(value, wrappers[i], protowire.BytesType)
			value = protowire.AppendVarint(value, uint64(sizes[j]))
			j--
		}
	}
	value = append(value, inner...)

	kv := field(nil, 1, []byte("deep")) // KeyValue.key
	kv = field(kv, 2, value)            // KeyValue.value
	span := field(nil, 1, make([]byte, 16))
	span[len(span)-1] = 1 // a non-zero trace ID
	span = field(span, 2, []byte{0, 0, 0, 0, 0, 0, 0, 1})
	span = field(span, 5, []byte("deep"))
	span = field(span, 9, kv)
	scopeSpans := field(nil, 2, span)
	resourceSpans := field(nil, 2, scopeSpans)
	return field(nil, 1, resourceSpans)
}

func field(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

// JSON returns the same request as OTLP JSON.
func JSON(levels int) []byte {
	open, closing := `{"arrayValue":{"values":[`, `]}}`
	var b strings.Builder
	b.WriteString(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"00000000000000000000000000000001","spanId":"0000000000000001","name":"deep","attributes":[{"key":"deep","value":`)
	b.WriteString(strings.Repeat(open, levels-1))
	b.WriteString(`{"stringValue":"x"}`)
	b.WriteString(strings.Repeat(closing, levels-1))
	b.WriteString(`}]}]}]}]}`)
	return []byte(b.String())
}
