package analyzer

import (
	"strconv"
)

// stringOf formats an attribute value for reading: strings as they are,
// numbers and bools in their usual form, anything else as "".
func stringOf(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

// int returns the first of the keys the span has, as an integer: int64
// values as they are, strings parsed.
func (s *Span) int(keys ...string) (int, bool) {
	for _, k := range keys {
		switch v := s.Attributes[k].(type) {
		case int64:
			return int(v), true
		case float64:
			return int(v), true
		case string:
			n, err := strconv.Atoi(v)
			return n, err == nil
		}
	}
	return 0, false
}
