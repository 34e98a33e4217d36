package failhopsampler

import (
	"errors"
	"net"
)

// Config is the extension's configuration. The sampling rule has no
// settings: it is analyzer.Failed.
type Config struct {
	// Metrics, when its endpoint is set, counts every trace the policy
	// evaluates and serves the failure metrics there.
	Metrics MetricsConfig `mapstructure:"metrics"`
}

// MetricsConfig says where the failure metrics are served and how many
// label sets each may hold.
type MetricsConfig struct {
	// Endpoint is the host:port /metrics is served on; "" counts nothing.
	Endpoint string `mapstructure:"endpoint"`
	// MaxSeries bounds the label sets of each metric: beyond, the
	// overflow series.
	MaxSeries int `mapstructure:"max_series"`
}

// defaultMaxSeries is MaxSeries when the configuration does not set it.
const defaultMaxSeries = 2000

// Validate checks the metrics' endpoint and bound.
func (c *Config) Validate() error {
	if c.Metrics.Endpoint == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(c.Metrics.Endpoint); err != nil {
		return errors.New("metrics::endpoint must be host:port, such as 127.0.0.1:8889")
	}
	if c.Metrics.MaxSeries < 2 {
		return errors.New("metrics::max_series must be at least 2 (one label set and the overflow series)")
	}
	return nil
}
