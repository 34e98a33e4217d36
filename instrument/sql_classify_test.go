package instrument

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/failhop/failhop/vocab"
)

type sqlstateErr string

func (e sqlstateErr) Error() string    { return "pg: " + string(e) }
func (e sqlstateErr) SQLState() string { return string(e) }

type codeErr int

func (e codeErr) Error() string { return fmt.Sprintf("sqlite: %d", int(e)) }
func (e codeErr) Code() int     { return int(e) }

func TestClassifyDB(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	tests := []struct {
		name    string
		ctx     context.Context
		err     error
		failure bool
		cause   vocab.Cause
		code    string
	}{
		{"nil", nil, nil, false, "", ""},
		{"skip", nil, driver.ErrSkip, false, "", ""},
		{"eof", nil, io.EOF, false, "", ""},
		{"no rows", nil, fmt.Errorf("find: %w", sql.ErrNoRows), false, "", ""},
		{"remove argument", nil, driver.ErrRemoveArgument, false, "", ""},
		{"missing table", nil, sqlstateErr("42P01"), true, vocab.CauseDBError, "42P01"},
		{"unique violation", nil, fmt.Errorf("save: %w", sqlstateErr("23505")), true, vocab.CauseDBError, "23505"},
		{"statement timeout", nil, sqlstateErr("57014"), true, vocab.CauseTimeout, "57014"},
		{"lock timeout", nil, sqlstateErr("55P03"), true, vocab.CauseTimeout, "55P03"},
		{"too many connections", nil, sqlstateErr("53300"), true, vocab.CauseResourceExhausted, "53300"},
		{"disk full", nil, sqlstateErr("53100"), true, vocab.CauseResourceExhausted, "53100"},
		{"connection failure", nil, sqlstateErr("08006"), true, vocab.CauseDBUnavailable, "08006"},
		{"admin shutdown", nil, sqlstateErr("57P01"), true, vocab.CauseDBUnavailable, "57P01"},
		{"bad conn", nil, driver.ErrBadConn, true, vocab.CauseDBUnavailable, ""},
		{"refused", nil, fmt.Errorf("connect: %w", refused), true, vocab.CauseDBUnavailable, ""},
		{"reset", nil, syscall.ECONNRESET, true, vocab.CauseDBUnavailable, ""},
		{"unexpected eof", nil, io.ErrUnexpectedEOF, true, vocab.CauseDBUnavailable, ""},
		{"deadline", nil, fmt.Errorf("query: %w", context.DeadlineExceeded), true, vocab.CauseTimeout, ""},
		{"canceled", nil, context.Canceled, true, vocab.CauseCanceled, ""},
		{"canceled ctx wins over the driver's report", canceled, sqlstateErr("57014"), true, vocab.CauseCanceled, "57014"},
		{"canceled ctx with a bad conn", canceled, driver.ErrBadConn, true, vocab.CauseCanceled, ""},
		{"sqlite error", nil, codeErr(1), true, vocab.CauseDBError, "1"},
		{"sqlite unique", nil, codeErr(2067), true, vocab.CauseDBError, "2067"},
		{"sqlite busy", nil, codeErr(5), true, vocab.CauseTimeout, "5"},
		{"sqlite full", nil, codeErr(13), true, vocab.CauseResourceExhausted, "13"},
		{"sqlite cantopen", nil, codeErr(14), true, vocab.CauseDBUnavailable, "14"},
		{"marked", nil, MarkCause(errors.New("x"), vocab.CauseBadResponse), true, vocab.CauseBadResponse, ""},
		{"other", nil, errors.New("boom"), true, vocab.CauseDBError, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := tt.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			f, ok := classifyDB(ctx, tt.err)
			if ok != tt.failure || f.Cause != tt.cause || f.Code != tt.code {
				t.Errorf("classifyDB(%v) = (%+v, %v), want ({cause:%s code:%s}, %v)", tt.err, f, ok, tt.cause, tt.code, tt.failure)
			}
		})
	}
}
