package rootwait

import (
	"errors"
	"time"
)

// Config is the processor's configuration.
type Config struct {
	// Wait is how long a root span is held before it is passed on; 0
	// passes everything on at once. It should cover the services' export
	// delay (OTEL_BSP_SCHEDULE_DELAY, 5 s by default in the OTel SDKs).
	Wait time.Duration `mapstructure:"wait"`
	// DecisionWait is the decision_wait of the tail_sampling that follows.
	// A root span is never held past the moment tail sampling may decide
	// its trace by that wait, counted from the root span's start (no span
	// of a trace comes before it): a trace longer than the decision wait
	// keeps its root span in the decision, as it would without root_wait.
	DecisionWait time.Duration `mapstructure:"decision_wait"`
	// MaxTraces is tail_sampling's num_traces: root_wait refuses requests
	// that would start new traces once 90% of it are in flight (a
	// retryable refusal: UNAVAILABLE, 503), so that tail sampling never
	// evicts a trace before its decision. 0 sets no bound.
	MaxTraces int `mapstructure:"max_traces"`
}

// The defaults: the OTel SDKs' export delay, tail sampling's decision_wait.
const (
	DefaultWait         = 5 * time.Second
	DefaultDecisionWait = 30 * time.Second
)

// Validate refuses negative waits.
func (c *Config) Validate() error {
	if c.Wait < 0 || c.DecisionWait < 0 || c.MaxTraces < 0 {
		return errors.New("wait, decision_wait and max_traces must not be negative")
	}
	return nil
}
