package diskguard

import (
	"errors"

	"go.opentelemetry.io/collector/component"
)

// Config is the extension's configuration.
type Config struct {
	// Storage is the storage extension the guard stands in front of.
	Storage component.ID `mapstructure:"storage"`
}

// Validate refuses a guard with no storage to stand in front of, or in
// front of a queue_disk_guard.
func (c *Config) Validate() error {
	if c.Storage == (component.ID{}) {
		return errors.New("storage must name the storage extension to guard, such as file_storage")
	}
	if c.Storage.Type() == Type {
		return errors.New("storage must name a storage extension such as file_storage, not a queue_disk_guard")
	}
	return nil
}
