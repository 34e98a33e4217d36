package gomemlimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime/debug"

	"github.com/KimMachineGun/automemlimit/memlimit"
	"go.opentelemetry.io/collector/component"
	"go.uber.org/zap"
)

// limit sets the runtime's soft memory limit on Start and restores the one
// it found on Shutdown.
type limit struct {
	logger *zap.Logger
	ratio  float64
	// previous is the limit Start found; -1, which SetMemoryLimit only
	// reads, until Start runs: a collector that fails to start shuts down
	// extensions it never started, and that must leave the limit alone.
	previous int64
}

// Start sets the soft memory limit from the cgroup's. A collector outside
// a cgroup with a limit, or where cgroups cannot be read, runs as before:
// that is logged, not an error.
func (l *limit) Start(context.Context, component.Host) error {
	l.previous = debug.SetMemoryLimit(-1)
	cgroup, err := memlimit.FromCgroup()
	switch {
	case errors.Is(err, memlimit.ErrNoLimit):
		l.logger.Info("go_memory_limit: no cgroup memory limit; the Go runtime has no soft limit from it")
		return nil
	case err != nil:
		l.logger.Warn("go_memory_limit: the cgroup's memory limit could not be read; the Go runtime has no soft limit from it", zap.Error(err))
		return nil
	}
	set, err := memlimit.Set(memlimit.WithRatio(l.ratio), memlimit.WithProvider(memlimit.Limit(cgroup)))
	if err != nil {
		return fmt.Errorf("go_memory_limit: %w", err) // AUTOMEMLIMIT is not a ratio
	}
	if set == math.MaxInt64 {
		l.logger.Info("go_memory_limit: AUTOMEMLIMIT=off: the Go runtime has no soft limit", zap.Uint64("cgroup_limit_mib", cgroup>>20))
		return nil
	}
	l.logger.Info("go_memory_limit: the Go runtime's soft memory limit (GOMEMLIMIT and AUTOMEMLIMIT override it)",
		zap.Int64("limit_mib", set>>20), zap.Uint64("cgroup_limit_mib", cgroup>>20))
	return nil
}

// Shutdown restores the limit Start found.
func (l *limit) Shutdown(context.Context) error {
	debug.SetMemoryLimit(l.previous)
	return nil
}
