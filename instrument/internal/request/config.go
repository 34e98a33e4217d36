package request

import (
	"net/http"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Option configures a wrapper of instrument or instrumentgrpc (see
// instrument.Option).
type Option interface {
	apply(*Config)
}

// OptionFunc is an Option that calls itself.
type OptionFunc func(*Config)

func (f OptionFunc) apply(c *Config) { f(c) }

// Config is what the options of instrument and instrumentgrpc set.
type Config struct {
	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider
	Propagators    propagation.TextMapPropagator
	Filters        []func(*http.Request) bool
	PublicEdge     bool
	DBSystem       string
	PeerService    string
	URLTemplate    func(*http.Request) string
}

// NewConfig applies opts over the defaults: the global providers and
// propagator.
func NewConfig(opts []Option) *Config {
	c := &Config{}
	for _, o := range opts {
		o.apply(c)
	}
	if c.TracerProvider == nil {
		c.TracerProvider = otel.GetTracerProvider()
	}
	if c.MeterProvider == nil {
		c.MeterProvider = otel.GetMeterProvider()
	}
	if c.Propagators == nil {
		c.Propagators = otel.GetTextMapPropagator()
	}
	return c
}
