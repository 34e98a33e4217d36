package instrument

import (
	"context"
	"database/sql"
	"github.com/failhop/failhop/instrument/internal/request"
	"strconv"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// poolSeq numbers the pools OpenDB opens, to give each a distinct
// db.client.connection.pool.name without recording its data source name.
var poolSeq atomic.Int64

// registerPoolMetrics reports the statistics of db's pool as the
// db.client.connection.count (idle, used) and db.client.connection.max
// metrics of the semantic conventions. It returns
// nil if the instruments cannot be made; metrics are a bonus, never a
// reason to fail OpenDB.
func registerPoolMetrics(db *sql.DB, driverName string, cfg *request.Config) metric.Registration {
	m := cfg.MeterProvider.Meter(ScopeName)
	count, err1 := m.Int64ObservableUpDownCounter("db.client.connection.count",
		metric.WithUnit("{connection}"),
		metric.WithDescription("The number of connections that are currently in state described by the state attribute."))
	maxOpen, err2 := m.Int64ObservableUpDownCounter("db.client.connection.max",
		metric.WithUnit("{connection}"),
		metric.WithDescription("The maximum number of open connections allowed (0: no limit)."))
	if err1 != nil || err2 != nil {
		return nil
	}

	pool := attribute.String("db.client.connection.pool.name", driverName+"-"+strconv.FormatInt(poolSeq.Add(1), 10))
	idle := metric.WithAttributeSet(attribute.NewSet(pool, attribute.String("db.client.connection.state", "idle")))
	used := metric.WithAttributeSet(attribute.NewSet(pool, attribute.String("db.client.connection.state", "used")))
	poolOnly := metric.WithAttributeSet(attribute.NewSet(pool))

	reg, err := m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		s := db.Stats()
		o.ObserveInt64(count, int64(s.Idle), idle)
		o.ObserveInt64(count, int64(s.InUse), used)
		o.ObserveInt64(maxOpen, int64(s.MaxOpenConnections), poolOnly)
		return nil
	}, count, maxOpen)
	if err != nil {
		return nil
	}
	return reg
}
