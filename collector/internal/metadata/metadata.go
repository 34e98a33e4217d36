// Package metadata reads a component's metadata.yaml: its type, status
// and self-metrics, in the schema of the collector's mdatagen
// (cmd/mdatagen's metadata-schema.yaml; the part of it these components
// use). mdatagen is not in this release set, so nothing generates code
// from the file: each component embeds it (Must), takes its type and
// stability from it and registers its self-metrics with the description,
// unit and buckets it gives (Int64Counter, Float64Histogram); package
// metadatatest checks the component against it (the README's status
// table, the metrics it records, its lifecycle).
package metadata

import (
	"errors"
	"fmt"
	"slices"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
)

// Metadata is a metadata.yaml.
type Metadata struct {
	// Type is the component's type in collector configurations.
	Type string `mapstructure:"type"`
	// ScopeName is the instrumentation scope of the component's
	// self-metrics: its Go package.
	ScopeName string `mapstructure:"scope_name"`
	Status    Status `mapstructure:"status"`
	// Attributes are the metric attributes the metrics name.
	Attributes map[string]Attribute `mapstructure:"attributes"`
	Telemetry  Telemetry            `mapstructure:"telemetry"`
}

// Status is the component's class, stability and distributions.
type Status struct {
	// Class is processor or extension.
	Class string `mapstructure:"class"`
	// Stability maps a stability level (alpha, beta, ...) to the signals
	// at that level: traces, metrics, logs, or extension for an extension.
	Stability map[string][]string `mapstructure:"stability"`
	// Distributions are the collector builds that include the component.
	Distributions []string `mapstructure:"distributions"`
}

// Attribute is a metric attribute.
type Attribute struct {
	Description string   `mapstructure:"description"`
	Type        string   `mapstructure:"type"`
	Enum        []string `mapstructure:"enum"`
}

// Telemetry is the component's self-telemetry, served with the
// collector's own (service.telemetry).
type Telemetry struct {
	// Metrics are keyed by name without the "otelcol_" every name has
	// (MetricName).
	Metrics map[string]Metric `mapstructure:"metrics"`
}

// Metric is one self-metric: a sum, a gauge or a histogram.
type Metric struct {
	Enabled     bool       `mapstructure:"enabled"`
	Description string     `mapstructure:"description"`
	Unit        string     `mapstructure:"unit"`
	Sum         *Sum       `mapstructure:"sum"`
	Gauge       *Gauge     `mapstructure:"gauge"`
	Histogram   *Histogram `mapstructure:"histogram"`
	// Attributes name entries of Metadata.Attributes.
	Attributes []string `mapstructure:"attributes"`
}

// Sum is a counter (monotonic) or an up-down counter.
type Sum struct {
	ValueType string `mapstructure:"value_type"`
	Monotonic bool   `mapstructure:"monotonic"`
}

// Gauge is a gauge.
type Gauge struct {
	ValueType string `mapstructure:"value_type"`
}

// Histogram is a histogram with explicit buckets.
type Histogram struct {
	ValueType        string    `mapstructure:"value_type"`
	BucketBoundaries []float64 `mapstructure:"bucket_boundaries"`
}

// Classes are the component classes of this collector.
var classes = []string{"processor", "extension"}

// Parse reads a metadata.yaml; a key outside the schema is an error.
func Parse(yaml []byte) (Metadata, error) {
	r, err := confmap.NewRetrievedFromYAML(yaml)
	if err != nil {
		return Metadata{}, err
	}
	conf, err := r.AsConf()
	if err != nil {
		return Metadata{}, err
	}
	var md Metadata
	if err := conf.Unmarshal(&md); err != nil {
		return Metadata{}, err
	}
	return md, md.validate()
}

// Must is Parse for a component's embedded metadata.yaml, which a test
// reads first: it panics on an error.
func Must(yaml []byte) Metadata {
	md, err := Parse(yaml)
	if err != nil {
		panic(fmt.Sprintf("metadata.yaml: %v", err))
	}
	return md
}

// ComponentType is Type as a component.Type.
func (md Metadata) ComponentType() component.Type {
	return component.MustNewType(md.Type)
}

// Stability is the stability of signal (traces, metrics, logs;
// extension for an extension): undefined when the component has none.
func (md Metadata) Stability(signal string) component.StabilityLevel {
	for level, signals := range md.Status.Stability {
		if slices.Contains(signals, signal) {
			return Level(level)
		}
	}
	return component.StabilityLevelUndefined
}

// Level is the stability level named name (alpha, beta, ...), undefined
// for a name that is none (Parse refuses those).
func Level(name string) component.StabilityLevel {
	var sl component.StabilityLevel
	if sl.UnmarshalText([]byte(name)) != nil {
		return component.StabilityLevelUndefined
	}
	return sl
}

// MetricName is the name a self-metric is registered under: its key with
// the "otelcol_" of the collector's own metrics, as mdatagen names them.
func MetricName(key string) string { return metricPrefix + key }

// metricPrefix starts the name of every collector self-metric.
const metricPrefix = "otelcol_"

func (md Metadata) validate() error {
	var errs []error
	if _, err := component.NewType(md.Type); err != nil {
		errs = append(errs, fmt.Errorf("type: %w", err))
	}
	if !slices.Contains(classes, md.Status.Class) {
		errs = append(errs, fmt.Errorf("status.class %q: want one of %v", md.Status.Class, classes))
	}
	if len(md.Status.Stability) == 0 || len(md.Status.Distributions) == 0 {
		errs = append(errs, errors.New("status: stability and distributions are required"))
	}
	for level := range md.Status.Stability {
		var sl component.StabilityLevel
		if err := sl.UnmarshalText([]byte(level)); err != nil {
			errs = append(errs, fmt.Errorf("status.stability: %w", err))
		}
	}
	if len(md.Telemetry.Metrics) > 0 && md.ScopeName == "" {
		errs = append(errs, errors.New("scope_name is required with telemetry.metrics"))
	}
	for key, m := range md.Telemetry.Metrics {
		if err := md.validateMetric(m); err != nil {
			errs = append(errs, fmt.Errorf("telemetry.metrics.%s: %w", key, err))
		}
	}
	return errors.Join(errs...)
}

func (md Metadata) validateMetric(m Metric) error {
	var errs []error
	if m.Description == "" || m.Unit == "" {
		errs = append(errs, errors.New("description and unit are required"))
	}
	kinds := 0
	for _, set := range []bool{m.Sum != nil, m.Gauge != nil, m.Histogram != nil} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		errs = append(errs, errors.New("want exactly one of sum, gauge, histogram"))
	}
	if vt := m.ValueType(); vt != "int" && vt != "double" {
		errs = append(errs, fmt.Errorf("value_type %q: want int or double", vt))
	}
	for _, a := range m.Attributes {
		if _, ok := md.Attributes[a]; !ok {
			errs = append(errs, fmt.Errorf("attribute %q is not in attributes", a))
		}
	}
	return errors.Join(errs...)
}

// Kind says what the metric is, as "sum int monotonic", "sum double",
// "gauge int" or "histogram double".
func (m Metric) Kind() string {
	switch {
	case m.Sum != nil && m.Sum.Monotonic:
		return "sum " + m.Sum.ValueType + " monotonic"
	case m.Sum != nil:
		return "sum " + m.Sum.ValueType
	case m.Gauge != nil:
		return "gauge " + m.Gauge.ValueType
	case m.Histogram != nil:
		return "histogram " + m.Histogram.ValueType
	}
	return "metric of no kind"
}

// ValueType is the metric's value_type: int or double.
func (m Metric) ValueType() string {
	switch {
	case m.Sum != nil:
		return m.Sum.ValueType
	case m.Gauge != nil:
		return m.Gauge.ValueType
	case m.Histogram != nil:
		return m.Histogram.ValueType
	}
	return ""
}
