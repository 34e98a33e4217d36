package instrument

import (
	"context"
	"database/sql/driver"
	"errors"
	"github.com/failhop/failhop/instrument/internal/request"
	"io"
	"net"
	"strconv"
	"syscall"

	"go.opentelemetry.io/otel/trace"

	"github.com/failhop/failhop/vocab"
)

// DBFailure is what a failed database operation records on its span: see
// [ClassifyDBError] and [DBSpans.Fail].
type DBFailure struct {
	// Cause is failhop.cause.
	Cause vocab.Cause
	// Code is the status code the database or driver gave: a SQLSTATE
	// ("42P01"), a driver's numeric code ("1" for SQLite's SQLITE_ERROR),
	// a Redis error prefix ("WRONGTYPE"); "" if none. It is
	// db.response.status_code and error.type (else error.type is the Go
	// type of the error).
	Code string
	// Message is the span's status description and the message of its
	// exception event. It must hold no value the application wrote into
	// a statement: [ClassifyDBError] sets it to the error's message,
	// which [DBSpans.EndSQL] sanitizes when the statement has literals.
	Message string
	// Origin, when valid, is the span the failure started at (a child
	// span, such as a query of a batch): the span only passed the
	// failure on, and is marked failhop.propagated rather than origin.
	Origin trace.SpanID
}

// ClassifyDBError says whether err, returned by a database operation run
// with ctx, is a failure, and which, as OpenDB's spans record it:
//
//   - not a failure: nil, driver.ErrSkip, io.EOF, driver.ErrRemoveArgument,
//     sql.ErrNoRows (and errors that wrap it, as pgx.ErrNoRows does);
//   - the cause given by MarkCause, if any;
//   - canceled: the caller's context was canceled;
//   - timeout: a deadline passed (context or net timeout), or the database
//     canceled the statement (SQLSTATE 57014: statement_timeout), or a lock
//     wait ran out (55P03, SQLite BUSY);
//   - resource_exhausted: SQLSTATE class 53 (too many connections, out of
//     memory or disk), SQLite FULL and NOMEM;
//   - db_unavailable: the connection could not be made or was lost:
//     driver.ErrBadConn, network errors, SQLSTATE class 08, admin or crash
//     shutdown (57P01, 57P02), cannot connect now (57P03), SQLite CANTOPEN;
//   - db_error: anything else the database said (syntax, missing table,
//     constraint violation...).
//
// The context is looked at before the error: a driver may report a
// canceled context as a broken connection or as a canceled statement.
// The code is the error's SQLState() if it has one (pgconn.PgError), else
// its Code() int (SQLite). The message is err's, as it is: see
// [DBFailure].Message.
func ClassifyDBError(ctx context.Context, err error) (DBFailure, bool) {
	f, ok := classifyDB(ctx, err)
	if ok {
		f.Message = err.Error()
	}
	return f, ok
}

// classifyDB is ClassifyDBError without the message.
func classifyDB(ctx context.Context, err error) (DBFailure, bool) {
	if notFailure(err) {
		return DBFailure{}, false
	}
	code, sqlstate := statusCode(err)
	f := DBFailure{Code: code}
	if c, ok := request.MarkedCause(err); ok {
		f.Cause = c
		return f, true
	}
	if ctx != nil {
		switch ctx.Err() {
		case context.Canceled:
			f.Cause = vocab.CauseCanceled
			return f, true
		case context.DeadlineExceeded:
			f.Cause = vocab.CauseTimeout
			return f, true
		}
	}
	switch {
	case errors.Is(err, context.Canceled):
		f.Cause = vocab.CauseCanceled
	case errors.Is(err, context.DeadlineExceeded):
		f.Cause = vocab.CauseTimeout
	case sqlstate:
		f.Cause = vocab.SQLStateCause(code)
	case code != "":
		f.Cause = sqliteCause(code)
	case request.IsTimeout(err):
		f.Cause = vocab.CauseTimeout
	case errors.Is(err, driver.ErrBadConn), isConnectionError(err):
		f.Cause = vocab.CauseDBUnavailable
	default:
		f.Cause = vocab.CauseDBError
	}
	// A driver's connection error may carry a code of its own; a lost
	// connection still wins over a generic code.
	if f.Cause == vocab.CauseDBError && (errors.Is(err, driver.ErrBadConn) || isConnectionError(err)) {
		f.Cause = vocab.CauseDBUnavailable
	}
	return f, true
}

// statusCode returns the SQLSTATE of err (sqlstate true) or the numeric
// code of a driver such as SQLite's, as a decimal string.
func statusCode(err error) (code string, sqlstate bool) {
	var ss interface{ SQLState() string }
	if errors.As(err, &ss) {
		if s := ss.SQLState(); s != "" {
			return s, true
		}
	}
	var c interface{ Code() int }
	if errors.As(err, &c) {
		return strconv.Itoa(c.Code()), false
	}
	return "", false
}

// sqliteCause maps an SQLite result code (primary or extended) to a cause.
func sqliteCause(code string) vocab.Cause {
	n, err := strconv.Atoi(code)
	if err != nil {
		return vocab.CauseDBError
	}
	switch n & 0xff {
	case 5, 6: // SQLITE_BUSY, SQLITE_LOCKED: busy_timeout ran out
		return vocab.CauseTimeout
	case 7, 13: // SQLITE_NOMEM, SQLITE_FULL
		return vocab.CauseResourceExhausted
	case 14, 10: // SQLITE_CANTOPEN, SQLITE_IOERR
		return vocab.CauseDBUnavailable
	case 9: // SQLITE_INTERRUPT
		return vocab.CauseCanceled
	}
	return vocab.CauseDBError
}

// isConnectionError reports whether err says the connection to the
// database could not be made or was lost.
func isConnectionError(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var op *net.OpError
	var dns *net.DNSError
	return errors.As(err, &op) || errors.As(err, &dns) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed)
}
