package failhopmetrics

import (
	"errors"
	"net"
)

// Config is the exporter's configuration.
type Config struct {
	// Endpoint is the host:port /metrics is served on.
	Endpoint string `mapstructure:"endpoint"`
	// MaxSeries bounds the label sets of each metric (see the package
	// documentation).
	MaxSeries int `mapstructure:"max_series"`
}

// Defaults.
const (
	defaultEndpoint  = "127.0.0.1:8889"
	defaultMaxSeries = 2000
)

// Validate checks the endpoint and the bound.
func (c *Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Endpoint); err != nil {
		return errors.New("endpoint must be host:port, such as 127.0.0.1:8889")
	}
	if c.MaxSeries < 2 {
		return errors.New("max_series must be at least 2 (one label set and the overflow series)")
	}
	return nil
}
