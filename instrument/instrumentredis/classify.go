package instrumentredis

import (
	"context"
	"errors"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/failhop/failhop/instrument"
	"github.com/failhop/failhop/vocab"
)

// classify says whether err, returned by a command run with ctx, is a
// failure, and which (see the package documentation). script says the
// command ran a script, whose error replies are not recorded.
func classify(ctx context.Context, err error, script bool) (instrument.DBFailure, bool) {
	if err == nil || errors.Is(err, redis.Nil) {
		return instrument.DBFailure{}, false
	}
	var reply redis.Error
	if errors.As(err, &reply) {
		return replyFailure(reply.Error(), script), true
	}
	f, ok := instrument.ClassifyDBError(ctx, err)
	if !ok {
		// io.EOF, which database/sql expects: here, the server closed the
		// connection.
		return instrument.DBFailure{Cause: vocab.CauseDBUnavailable, Message: err.Error()}, true
	}
	if f.Cause == vocab.CauseDBError && (errors.Is(err, redis.ErrPoolTimeout) || errors.Is(err, redis.ErrPoolExhausted)) {
		f.Cause = vocab.CauseResourceExhausted
	}
	return f, true
}

// replyFailure is the failure of an error reply: its prefix is the code.
func replyFailure(msg string, script bool) instrument.DBFailure {
	prefix := errorPrefix(msg)
	f := instrument.DBFailure{Cause: replyCause(prefix, msg), Code: prefix}
	switch {
	case script:
		f.Message = strings.TrimSpace(prefix + " (the message of a script's error reply is not recorded)")
	default:
		f.Message = instrument.SanitizeSQL(msg)
	}
	return f
}

// errorPrefix returns the prefix of an error reply ("WRONGTYPE"): its
// first word, if it is in upper case; else "".
func errorPrefix(msg string) string {
	word, _, _ := strings.Cut(msg, " ")
	if word == "" || len(word) > 32 {
		return ""
	}
	for i := 0; i < len(word); i++ {
		if c := word[i]; (c < 'A' || c > 'Z') && c != '_' {
			return ""
		}
	}
	return word
}

// replyCause maps an error reply to a cause.
func replyCause(prefix, msg string) vocab.Cause {
	switch prefix {
	case "OOM":
		return vocab.CauseResourceExhausted
	case "LOADING", "BUSY", "READONLY", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN", "NOREPLICAS", "NOAUTH", "WRONGPASS":
		return vocab.CauseDBUnavailable
	}
	if msg == "ERR max number of clients reached" {
		return vocab.CauseResourceExhausted
	}
	return vocab.CauseDBError
}
