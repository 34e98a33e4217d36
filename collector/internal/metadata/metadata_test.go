package metadata

import (
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component"
)

const processor = `
type: example
scope_name: example.com/example
status:
  class: processor
  stability:
    beta: [traces]
    alpha: [logs]
  distributions: [failhop]
telemetry:
  metrics:
    processor_example_items:
      enabled: true
      description: Items
      unit: "{item}"
      sum: {value_type: int, monotonic: true}
`

func TestParse(t *testing.T) {
	md, err := Parse([]byte(processor))
	if err != nil {
		t.Fatal(err)
	}
	if md.ComponentType().String() != "example" || md.Stability("traces") != component.StabilityLevelBeta ||
		md.Stability("logs") != component.StabilityLevelAlpha || md.Stability("metrics") != component.StabilityLevelUndefined {
		t.Errorf("parsed %+v", md)
	}
	if m := md.Telemetry.Metrics["processor_example_items"]; m.ValueType() != "int" || !m.Sum.Monotonic || m.Unit != "{item}" {
		t.Errorf("metric %+v", m)
	}
}

// Each mistake is an error naming it.
func TestParseRefuses(t *testing.T) {
	for _, tc := range []struct{ old, new, want string }{
		{"type: example", "type: 9example", "type:"},
		{"class: processor", "class: receiver", "status.class"},
		{"beta: [traces]", "betta: [traces]", "unsupported stability level"},
		{"scope_name: example.com/example", "", "scope_name is required"},
		{"sum: {value_type: int, monotonic: true}", "gauge: {value_type: long}", `value_type "long"`},
		{"sum: {value_type: int, monotonic: true}", "", "exactly one of sum, gauge, histogram"},
		{"      unit: \"{item}\"\n", "", "description and unit are required"},
		{"      enabled: true\n", "      enabled: true\n      attributes: [side]\n", `attribute "side"`},
		{"type: example", "type: example\nowner: me", "invalid keys: owner"},
	} {
		_, err := Parse([]byte(strings.Replace(processor, tc.old, tc.new, 1)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q for %q: %v, want an error with %q", tc.new, tc.old, err, tc.want)
		}
	}
}
