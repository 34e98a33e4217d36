package main

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/failhop/failhop/examples/internal/demo"
	"github.com/failhop/failhop/instrument"
	"github.com/failhop/failhop/instrument/instrumentpgx"
)

// store is the inventory's database as its handlers use it: PostgreSQL
// through pgx directly (a pgxpool, traced by instrumentpgx), or SQLite
// through database/sql (instrument.OpenDB). Either way every statement is a
// span, and one that fails is marked as where the failure started. A
// missing row is sql.ErrNoRows on both (pgx.ErrNoRows wraps it).
type store interface {
	QueryRow(ctx context.Context, query string, args ...any) row
	// Exec runs a statement and returns the number of rows it changed.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	Close()
}

type row interface{ Scan(dest ...any) error }

// openStore opens the database dbc: it connects on first use, so that a
// database that is down fails requests (and says so in their traces)
// rather than the start.
func openStore(ctx context.Context, dbc demo.Database) (store, error) {
	if dbc.Driver == "pgx" {
		cfg, err := pgxpool.ParseConfig(dbc.DSN)
		if err != nil {
			return nil, errors.New("DATABASE_URL is not a valid PostgreSQL URL") // never print it: it holds a password
		}
		cfg.ConnConfig.Tracer = instrumentpgx.NewTracer() // client spans, marks on failure
		cfg.MaxConns = 16                                 // concurrent requests
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			return nil, err
		}
		return pgxStore{pool}, nil
	}
	db, err := instrument.OpenDB(dbc.Driver, dbc.DSN)
	if err != nil {
		return nil, err
	}
	db.SetMaxIdleConns(16) // keep connections for concurrent requests (the default keeps 2)
	return sqlStore{db}, nil
}

// pgxStore is a store on pgx.
type pgxStore struct{ pool *pgxpool.Pool }

func (s pgxStore) QueryRow(ctx context.Context, query string, args ...any) row {
	return s.pool.QueryRow(ctx, query, args...)
}

func (s pgxStore) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := s.pool.Exec(ctx, query, args...)
	return tag.RowsAffected(), err
}

func (s pgxStore) Close() { s.pool.Close() }

// sqlStore is a store on database/sql.
type sqlStore struct{ db *sql.DB }

func (s sqlStore) QueryRow(ctx context.Context, query string, args ...any) row {
	return s.db.QueryRowContext(ctx, query, args...)
}

func (s sqlStore) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := s.db.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (s sqlStore) Close() { _ = s.db.Close() }
