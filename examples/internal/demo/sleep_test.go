package demo

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// The slow-query fault's sleep on SQLite ends when the query is canceled,
// as PostgreSQL's does: a request that gave up leaves nothing running.
func TestSleepEndsWithTheQuery(t *testing.T) {
	dbc := Database{Driver: "sqlite", DSN: "file:" + filepath.Join(t.TempDir(), "sleep.db")}
	db, err := sql.Open(dbc.Driver, dbc.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	ctx, cancel := context.WithCancel(t.Context())
	arg, release := dbc.SleepArg(ctx, time.Hour)
	defer release()
	time.AfterFunc(50*time.Millisecond, cancel)
	var v any
	err = db.QueryRowContext(ctx, "SELECT pg_sleep($1) IS NULL", arg).Scan(&v)
	if err == nil || !errors.Is(ctx.Err(), context.Canceled) {
		t.Errorf("an hour's sleep canceled: err %v, ctx %v; want an error, the query canceled", err, ctx.Err())
	}

	// A short one sleeps and answers, as before.
	arg, release = dbc.SleepArg(t.Context(), 10*time.Millisecond)
	defer release()
	var isNull bool
	if err := db.QueryRowContext(t.Context(), "SELECT pg_sleep($1) IS NULL", arg).Scan(&isNull); err != nil || isNull {
		t.Errorf("a 10 ms sleep: %v, IS NULL %v; want false, as PostgreSQL's void", err, isNull)
	}
}
