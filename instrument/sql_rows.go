package instrument

import (
	"context"
	"database/sql/driver"
	"io"
	"reflect"

	"go.opentelemetry.io/otel/trace"
)

// rows wraps driver.Rows. The query span stays open until the rows are
// closed rather than ending when the query returns: many drivers (pgx
// among them) stream rows, so the statement is still running while the
// application reads them, and an error that surfaces in Next (a statement
// timeout, a division by zero in the tenth row, a lost connection) belongs
// to that statement. It is recorded on the query span. database/sql always
// closes the rows: when Next returns false, on Close, or when the context
// is done.
type rows struct {
	r      driver.Rows
	ctx    context.Context
	span   trace.Span
	st     *dbState
	query  string
	err    error // the first failure seen in Next
	closed bool
}

var (
	_ driver.Rows                           = (*rows)(nil)
	_ driver.RowsNextResultSet              = (*rows)(nil)
	_ driver.RowsColumnTypeScanType         = (*rows)(nil)
	_ driver.RowsColumnTypeDatabaseTypeName = (*rows)(nil)
	_ driver.RowsColumnTypeLength           = (*rows)(nil)
	_ driver.RowsColumnTypeNullable         = (*rows)(nil)
	_ driver.RowsColumnTypePrecisionScale   = (*rows)(nil)
)

func newRows(ctx context.Context, r driver.Rows, span trace.Span, st *dbState, query string) *rows {
	return &rows{r: r, ctx: ctx, span: span, st: st, query: query}
}

func (r *rows) Columns() []string { return r.r.Columns() }

func (r *rows) Next(dest []driver.Value) error {
	err := r.r.Next(dest)
	if err != nil && err != io.EOF && r.err == nil {
		r.err = err
	}
	return err
}

// Close closes the rows and ends the query span, with the first error
// Next returned, else the error of Close.
func (r *rows) Close() error {
	err := r.r.Close()
	if !r.closed {
		r.closed = true
		failure := r.err
		if failure == nil {
			failure = err
		}
		r.st.endStatement(r.ctx, r.span, r.query, failure)
	}
	return err
}

func (r *rows) HasNextResultSet() bool {
	if n, ok := r.r.(driver.RowsNextResultSet); ok {
		return n.HasNextResultSet()
	}
	return false
}

func (r *rows) NextResultSet() error {
	if n, ok := r.r.(driver.RowsNextResultSet); ok {
		err := n.NextResultSet()
		if err != nil && err != io.EOF && r.err == nil {
			r.err = err
		}
		return err
	}
	return io.EOF
}

var anyType = reflect.TypeFor[any]()

func (r *rows) ColumnTypeScanType(i int) reflect.Type {
	if c, ok := r.r.(driver.RowsColumnTypeScanType); ok {
		return c.ColumnTypeScanType(i)
	}
	return anyType
}

func (r *rows) ColumnTypeDatabaseTypeName(i int) string {
	if c, ok := r.r.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return c.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *rows) ColumnTypeLength(i int) (int64, bool) {
	if c, ok := r.r.(driver.RowsColumnTypeLength); ok {
		return c.ColumnTypeLength(i)
	}
	return 0, false
}

func (r *rows) ColumnTypeNullable(i int) (nullable, ok bool) {
	if c, ok := r.r.(driver.RowsColumnTypeNullable); ok {
		return c.ColumnTypeNullable(i)
	}
	return false, false
}

func (r *rows) ColumnTypePrecisionScale(i int) (precision, scale int64, ok bool) {
	if c, ok := r.r.(driver.RowsColumnTypePrecisionScale); ok {
		return c.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}
