package tracejson

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// NormalizeTraceID returns id as 32 lowercase hex digits: hex of 1 to 32
// digits is left-padded with zeros (Jaeger prints 64-bit trace IDs with 16).
func NormalizeTraceID(id string) (string, error) { return normalizeID(id, 32, "trace ID") }

// NormalizeSpanID returns id as 16 lowercase hex digits, left-padded.
func NormalizeSpanID(id string) (string, error) { return normalizeID(id, 16, "span ID") }

func normalizeID(id string, digits int, what string) (string, error) {
	if id == "" {
		return "", fmt.Errorf("empty %s", what)
	}
	if len(id) <= digits && isHex(id) {
		return strings.Repeat("0", digits-len(id)) + strings.ToLower(id), nil
	}
	// Some OTLP JSON writers (protojson without the OTLP/JSON rule) encode
	// IDs as base64 of the bytes.
	if b, err := base64.StdEncoding.DecodeString(id); err == nil && len(b) == digits/2 {
		return hex.EncodeToString(b), nil
	}
	return "", fmt.Errorf("bad %s %q: want 1 to %d hex digits", what, clip(id), digits)
}

// isZeroID reports whether a normalized ID is all zeros (OTLP's "no
// parent").
func isZeroID(id string) bool { return strings.Trim(id, "0") == "" }

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// unixNanos parses a JSON number or a string holding one (OTLP JSON writes
// 64-bit integers as strings) as nanoseconds since the Unix epoch; zero and
// absent mean no time.
func unixNanos(raw json.RawMessage, scale int64, field string) (time.Time, error) {
	n, ok, err := uintOf(raw)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", field, err)
	}
	if !ok || n == 0 {
		return time.Time{}, nil
	}
	if n > math.MaxInt64/uint64(scale) {
		return time.Time{}, fmt.Errorf("%s: %d is out of range", field, n)
	}
	return time.Unix(0, int64(n)*scale).UTC(), nil
}

// uintOf parses a JSON number or numeric string as uint64. ok is false for
// absent, null or "".
func uintOf(raw json.RawMessage) (n uint64, ok bool, err error) {
	s, isNull := scalarString(raw)
	if isNull || s == "" {
		return 0, false, nil
	}
	n, err = strconv.ParseUint(s, 10, 64)
	if err != nil {
		// Accept a float form without a fraction, such as 1.7e15.
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f < 0 || f != math.Trunc(f) || f >= math.MaxUint64 {
			return 0, false, fmt.Errorf("%s is not a non-negative integer", clip(string(raw)))
		}
		n = uint64(f)
	}
	return n, true, nil
}

// scalarString returns the text of a JSON string, or the literal text of
// any other scalar; isNull is true for null or absent.
func scalarString(raw json.RawMessage) (s string, isNull bool) {
	t := strings.TrimSpace(string(raw))
	if t == "" || t == "null" {
		return "", true
	}
	if t[0] == '"' {
		if err := json.Unmarshal([]byte(t), &s); err != nil {
			return t, false
		}
		return s, false
	}
	return t, false
}

// number converts a json.Number to int64 if it is integral and in range,
// else to float64; a number it cannot parse stays a string.
func number(n json.Number) any {
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return i
	}
	if f, err := strconv.ParseFloat(string(n), 64); err == nil {
		return f
	}
	return string(n)
}

// plain converts a value decoded with UseNumber into one the model allows:
// string, bool, int64, float64, or []any of those. Objects become their
// JSON text.
func plain(v any) any {
	if arr, ok := v.([]any); ok {
		out := make([]any, len(arr))
		for i, e := range arr {
			out[i] = scalar(e)
		}
		return out
	}
	return scalar(v)
}

// scalar is plain for an element of an array: nested arrays and objects
// become their JSON text.
func scalar(v any) any {
	switch v := v.(type) {
	case nil:
		return ""
	case string, bool:
		return v
	case json.Number:
		return number(v)
	}
	return jsonText(v)
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
