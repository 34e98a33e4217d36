package instrument

import (
	"context"
	"database/sql/driver"
	"errors"
	"github.com/failhop/failhop/instrument/internal/request"
	"io"
	"time"

	"go.opentelemetry.io/otel/metric"
)

// The wrappers below stand between database/sql and the driver. database/sql
// discovers what a driver can do by type assertions, so each wrapper
// implements every optional interface and, where the driver lacks one,
// behaves exactly as database/sql does without it: ExecContext and
// QueryContext answer driver.ErrSkip (database/sql then prepares the
// statement), Ping, ResetSession and IsValid do nothing, BeginTx and
// PrepareContext fall back on Begin and Prepare with database/sql's own
// checks, and the column type methods of rows give database/sql's defaults.

// connector wraps a driver.Connector.
type connector struct {
	c       driver.Connector
	st      *dbState
	drv     driver.Driver
	metrics metric.Registration // pool metrics, unregistered on Close
}

var (
	_ driver.Connector = (*connector)(nil)
	_ io.Closer        = (*connector)(nil)
)

func newConnector(c driver.Connector, cfg *request.Config) *connector {
	st := newState(cfg)
	wc := &connector{c: c, st: st}
	d := c.Driver()
	if _, ok := d.(driver.DriverContext); ok {
		wc.drv = wrappedDriverContext{wrappedDriver{d: d, st: st}}
	} else {
		wc.drv = wrappedDriver{d: d, st: st}
	}
	return wc
}

// Connect opens a connection within a "connect" span.
func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	sctx, span := c.st.startOp(ctx, opConnect)
	dc, err := c.c.Connect(sctx)
	c.st.endConnect(ctx, span, err)
	if err != nil {
		return nil, err
	}
	return &conn{c: dc, st: c.st}, nil
}

// Driver returns the driver, wrapped so that the connections it opens are
// traced too.
func (c *connector) Driver() driver.Driver { return c.drv }

// Close closes the underlying connector if it has a Close method (DB.Close
// calls it) and stops the pool metrics.
func (c *connector) Close() error {
	var err error
	if c.metrics != nil {
		err = c.metrics.Unregister()
	}
	if cl, ok := c.c.(io.Closer); ok {
		err = errors.Join(cl.Close(), err)
	}
	return err
}

// wrappedDriver is what DB.Driver returns.
type wrappedDriver struct {
	d  driver.Driver
	st *dbState
}

func (d wrappedDriver) Open(name string) (driver.Conn, error) {
	c, err := d.d.Open(name)
	if err != nil {
		return nil, err
	}
	return &conn{c: c, st: d.st}, nil
}

type wrappedDriverContext struct{ wrappedDriver }

func (d wrappedDriverContext) OpenConnector(name string) (driver.Connector, error) {
	c, err := d.d.(driver.DriverContext).OpenConnector(name)
	if err != nil {
		return nil, err
	}
	wc := &connector{c: c, st: d.st, drv: d}
	return wc, nil
}

// conn wraps a driver.Conn.
type conn struct {
	c  driver.Conn
	st *dbState
}

var (
	_ driver.Conn               = (*conn)(nil)
	_ driver.Pinger             = (*conn)(nil)
	_ driver.ExecerContext      = (*conn)(nil)
	_ driver.QueryerContext     = (*conn)(nil)
	_ driver.ConnPrepareContext = (*conn)(nil)
	_ driver.ConnBeginTx        = (*conn)(nil)
	_ driver.SessionResetter    = (*conn)(nil)
	_ driver.Validator          = (*conn)(nil)
	_ driver.NamedValueChecker  = (*conn)(nil)
)

func (c *conn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *conn) Close() error { return c.c.Close() }

func (c *conn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

// Ping pings within a "ping" span, if the driver can ping.
func (c *conn) Ping(ctx context.Context) error {
	p, ok := c.c.(driver.Pinger)
	if !ok {
		return nil
	}
	sctx, span := c.st.startOp(ctx, opPing)
	err := p.Ping(sctx)
	c.st.end(ctx, span, err)
	return err
}

// ExecContext runs a statement without preparing it, if the driver can. The
// span is made once the driver has answered, so that a skipped fast path
// (driver.ErrSkip, after which database/sql prepares the statement) leaves
// no span; the driver therefore gets the caller's context.
func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	var (
		res     driver.Result
		err     error
		started = time.Now()
	)
	switch e := c.c.(type) {
	case driver.ExecerContext:
		res, err = e.ExecContext(ctx, query, args)
	//lint:ignore SA1019 the legacy interface, as database/sql supports it
	case driver.Execer:
		var vals []driver.Value
		if vals, err = legacyArgs(ctx, args); err == nil {
			res, err = e.Exec(query, vals)
		}
	default:
		return nil, driver.ErrSkip
	}
	if err == driver.ErrSkip {
		return nil, err
	}
	_, span := c.st.startQuery(ctx, query, len(args) > 0, started)
	c.st.endStatement(ctx, span, query, err)
	return res, err
}

// QueryContext runs a query without preparing it, if the driver can. As
// with ExecContext, the span is made once the driver has answered; it ends
// when the rows are closed.
func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	var (
		rows    driver.Rows
		err     error
		started = time.Now()
	)
	switch q := c.c.(type) {
	case driver.QueryerContext:
		rows, err = q.QueryContext(ctx, query, args)
	//lint:ignore SA1019 the legacy interface, as database/sql supports it
	case driver.Queryer:
		var vals []driver.Value
		if vals, err = legacyArgs(ctx, args); err == nil {
			rows, err = q.Query(query, vals)
		}
	default:
		return nil, driver.ErrSkip
	}
	if err == driver.ErrSkip {
		return nil, err
	}
	_, span := c.st.startQuery(ctx, query, len(args) > 0, started)
	if err != nil {
		c.st.endStatement(ctx, span, query, err)
		return nil, err
	}
	return newRows(ctx, rows, span, c.st, query), nil
}

// PrepareContext prepares a statement within a "prepare" span.
func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	sctx, span := c.st.startPrepare(ctx, query)
	var (
		s   driver.Stmt
		err error
	)
	if p, ok := c.c.(driver.ConnPrepareContext); ok {
		s, err = p.PrepareContext(sctx, query)
	} else {
		s, err = c.c.Prepare(query)
		if err == nil {
			if cerr := ctx.Err(); cerr != nil {
				_ = s.Close()
				s, err = nil, cerr
			}
		}
	}
	c.st.endStatement(ctx, span, query, err)
	if err != nil {
		return nil, err
	}
	return newStmt(s, c, query), nil
}

// BeginTx begins a transaction within a "begin" span.
func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	sctx, span := c.st.startOp(ctx, opBegin)
	tx, err := c.beginTx(sctx, opts)
	c.st.end(ctx, span, err)
	if err != nil {
		return nil, err
	}
	return &wrappedTx{tx: tx, ctx: ctx, st: c.st}, nil
}

// beginTx begins a transaction as database/sql does.
func (c *conn) beginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if b, ok := c.c.(driver.ConnBeginTx); ok {
		return b.BeginTx(ctx, opts)
	}
	if opts.Isolation != 0 {
		return nil, errors.New("sql: driver does not support non-default isolation level")
	}
	if opts.ReadOnly {
		return nil, errors.New("sql: driver does not support read-only transactions")
	}
	//lint:ignore SA1019 the fallback database/sql uses
	tx, err := c.c.Begin()
	if err == nil {
		if cerr := ctx.Err(); cerr != nil {
			_ = tx.Rollback()
			return nil, cerr
		}
	}
	return tx, err
}

func (c *conn) ResetSession(ctx context.Context) error {
	if r, ok := c.c.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *conn) IsValid() bool {
	if v, ok := c.c.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *conn) CheckNamedValue(nv *driver.NamedValue) error {
	if n, ok := c.c.(driver.NamedValueChecker); ok {
		return n.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

// legacyArgs converts arguments for the legacy driver interfaces, which
// take no context, and refuses to go on if ctx is done.
func legacyArgs(ctx context.Context, named []driver.NamedValue) ([]driver.Value, error) {
	vals := make([]driver.Value, len(named))
	for i, nv := range named {
		if nv.Name != "" {
			return nil, errors.New("sql: driver does not support the use of Named Parameters")
		}
		vals[i] = nv.Value
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return vals, nil
}

// stmt wraps a prepared driver.Stmt.
type stmt struct {
	s     driver.Stmt
	conn  *conn
	query string
}

// stmtCC is a stmt whose driver statement is a driver.ColumnConverter.
type stmtCC struct{ *stmt }

var (
	_ driver.Stmt              = (*stmt)(nil)
	_ driver.StmtExecContext   = (*stmt)(nil)
	_ driver.StmtQueryContext  = (*stmt)(nil)
	_ driver.NamedValueChecker = (*stmt)(nil)
	//lint:ignore SA1019 kept for the drivers that have it
	_ driver.ColumnConverter = stmtCC{}
)

func newStmt(s driver.Stmt, c *conn, query string) driver.Stmt {
	ws := &stmt{s: s, conn: c, query: query}
	//lint:ignore SA1019 kept for the drivers that have it, as database/sql keeps it
	if _, ok := s.(driver.ColumnConverter); ok {
		return stmtCC{ws}
	}
	return ws
}

func (s stmtCC) ColumnConverter(idx int) driver.ValueConverter {
	//lint:ignore SA1019 kept for the drivers that have it, as database/sql keeps it
	return s.s.(driver.ColumnConverter).ColumnConverter(idx)
}

func (s *stmt) Close() error  { return s.s.Close() }
func (s *stmt) NumInput() int { return s.s.NumInput() }

func (s *stmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.ExecContext(context.Background(), valuesToNamed(args))
}

func (s *stmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.QueryContext(context.Background(), valuesToNamed(args))
}

func valuesToNamed(args []driver.Value) []driver.NamedValue {
	named := make([]driver.NamedValue, len(args))
	for i, v := range args {
		named[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return named
}

// ExecContext executes the prepared statement within a span named after it.
func (s *stmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	st := s.conn.st
	sctx, span := st.startQuery(ctx, s.query, len(args) > 0, time.Time{})
	var (
		res driver.Result
		err error
	)
	if e, ok := s.s.(driver.StmtExecContext); ok {
		res, err = e.ExecContext(sctx, args)
	} else {
		var vals []driver.Value
		if vals, err = legacyArgs(ctx, args); err == nil {
			//lint:ignore SA1019 the fallback database/sql uses
			res, err = s.s.Exec(vals)
		}
	}
	st.endStatement(ctx, span, s.query, err)
	return res, err
}

// QueryContext runs the prepared query within a span that ends when the
// rows are closed.
func (s *stmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	st := s.conn.st
	sctx, span := st.startQuery(ctx, s.query, len(args) > 0, time.Time{})
	var (
		rows driver.Rows
		err  error
	)
	if q, ok := s.s.(driver.StmtQueryContext); ok {
		rows, err = q.QueryContext(sctx, args)
	} else {
		var vals []driver.Value
		if vals, err = legacyArgs(ctx, args); err == nil {
			//lint:ignore SA1019 the fallback database/sql uses
			rows, err = s.s.Query(vals)
		}
	}
	if err != nil {
		st.endStatement(ctx, span, s.query, err)
		return nil, err
	}
	return newRows(ctx, rows, span, st, s.query), nil
}

// CheckNamedValue defers to the statement's checker, else to the
// connection's, as database/sql would.
func (s *stmt) CheckNamedValue(nv *driver.NamedValue) error {
	if n, ok := s.s.(driver.NamedValueChecker); ok {
		return n.CheckNamedValue(nv)
	}
	return s.conn.CheckNamedValue(nv)
}

// wrappedTx wraps a driver.Tx. ctx is the context the transaction began
// with: commit and rollback spans are its children, beside the begin span.
type wrappedTx struct {
	tx  driver.Tx
	ctx context.Context
	st  *dbState
}

func (t *wrappedTx) Commit() error {
	_, span := t.st.startOp(t.ctx, opCommit)
	err := t.tx.Commit()
	t.st.end(t.ctx, span, err)
	return err
}

func (t *wrappedTx) Rollback() error {
	_, span := t.st.startOp(t.ctx, opRollback)
	err := t.tx.Rollback()
	t.st.end(t.ctx, span, err)
	return err
}
