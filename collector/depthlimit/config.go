package depthlimit

import (
	"errors"
)

// DefaultMaxDepth is max_depth when the configuration does not set it.
const DefaultMaxDepth = 100

// Config is the extension's configuration.
type Config struct {
	// MaxDepth is how many AnyValues may nest in one another (an array in
	// an array is two). A request with deeper values is refused.
	MaxDepth int `mapstructure:"max_depth"`
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if c.MaxDepth < 1 {
		return errors.New("max_depth must be at least 1")
	}
	return nil
}
