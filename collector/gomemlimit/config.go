package gomemlimit

import (
	"errors"
)

// DefaultRatio is ratio when the configuration does not set it: the soft
// limit sits above the memory_limiter's hard limit (75% of the cgroup's in
// failhop's configs), so the limiter refuses first and the runtime's
// harder collections bound what is already held.
const DefaultRatio = 0.8

// Config is the extension's configuration.
type Config struct {
	// Ratio is the soft memory limit's share of the cgroup's limit.
	Ratio float64 `mapstructure:"ratio"`
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if !(c.Ratio > 0 && c.Ratio <= 1) { // NaN too
		return errors.New("ratio must be in (0, 1]")
	}
	return nil
}
