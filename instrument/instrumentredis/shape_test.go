package instrumentredis

import (
	"context"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/failhop/failhop/vocab"
)

// TestShape: a command's db.query.text keeps its name and the shape of its
// key, never a value, an ID or a token.
func TestShape(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		args []any
		want string
	}{
		{[]any{"set", "user:42", "Ada", "ex", 60}, "SET user:? ? ? ?"},
		{[]any{"get", "user:42"}, "GET user:?"},
		{[]any{"hset", "cart:7:items", "sku-9", 3}, "HSET cart:?:items ? ?"},
		{[]any{"get", "session:Zx3kQ9"}, "GET session:?"},
		{[]any{"get", "session:abcdefghijklmnopqrstuvwxyz"}, "GET session:?"},
		{[]any{"get", "user:bob@example.com"}, "GET user:?"},
		{[]any{"get", "UserToken"}, "GET ?"},
		{[]any{"incr", "page_views"}, "INCR page_views"},
		{[]any{"mget", "a", "b"}, "MGET a ?"},
		{[]any{"get", []byte("user:1")}, "GET ?"},
		{[]any{"auth", "hunter2"}, "AUTH ?"},
		{[]any{"hello", 3, "auth", "default", "hunter2"}, "HELLO ? ? ? ?"},
		{[]any{"eval", "return 'secret'", 1, "lock:a"}, "EVAL ? ? ?"},
		{[]any{"ping"}, "PING"},
		{[]any{"SETX", "k", "v"}, "SETX ? ?"},
		{append([]any{"del"}, manyKeys(20)...), "DEL k" + strings.Repeat(" ?", 15) + " ..."},
	} {
		cmd := redis.NewCmd(ctx, tt.args...)
		if got := shape(commandName(cmd), cmd); got != tt.want {
			t.Errorf("shape(%q) = %q, want %q", tt.args, got, tt.want)
		}
	}
}

func manyKeys(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = "k"
	}
	return out
}

func TestDescribe(t *testing.T) {
	ctx := context.Background()
	cmds := func(names ...string) []redis.Cmder {
		var out []redis.Cmder
		for _, n := range names {
			out = append(out, redis.NewCmd(ctx, n, "user:1"))
		}
		return out
	}
	for _, tt := range []struct {
		cmds []redis.Cmder
		want pipeline
	}{
		{cmds("get", "set", "get"), pipeline{"PIPELINE", "PIPELINE GET SET", "GET user:?\nSET user:?\nGET user:?", 3}},
		{cmds("get", "get"), pipeline{"PIPELINE GET", "PIPELINE GET", "GET user:?\nGET user:?", 2}},
		{cmds("multi", "incr", "expire", "exec"), pipeline{"MULTI", "MULTI INCR EXPIRE", "INCR user:?\nEXPIRE user:?", 2}},
	} {
		if got := describe(tt.cmds); got != tt.want {
			t.Errorf("describe = %+v, want %+v", got, tt.want)
		}
	}
	long := describe(cmds(strings.Split(strings.Repeat("get,", 20), ",")[:20]...))
	if !strings.HasSuffix(long.text, "\n... (4 more)") || long.size != 20 {
		t.Errorf("a long pipeline: %q, size %d", long.text, long.size)
	}
}

func TestReplyFailure(t *testing.T) {
	for _, tt := range []struct {
		msg     string
		script  bool
		code    string
		cause   vocab.Cause
		message string
	}{
		{"WRONGTYPE Operation against a key holding the wrong kind of value", false, "WRONGTYPE", vocab.CauseDBError,
			"WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"ERR unknown command 'SETX', with args beginning with: 'k' 'secret' ", false, "ERR", vocab.CauseDBError,
			"ERR unknown command ?, with args beginning with: ? ?"},
		{"OOM command not allowed when used memory > 'maxmemory'.", false, "OOM", vocab.CauseResourceExhausted,
			"OOM command not allowed when used memory > ?."},
		{"LOADING Redis is loading the dataset in memory", false, "LOADING", vocab.CauseDBUnavailable,
			"LOADING Redis is loading the dataset in memory"},
		{"ERR user secret 42 is not allowed", true, "ERR", vocab.CauseDBError,
			"ERR (the message of a script's error reply is not recorded)"},
		{"something else", false, "", vocab.CauseDBError, "something else"},
	} {
		f := replyFailure(tt.msg, tt.script)
		if f.Code != tt.code || f.Cause != tt.cause || f.Message != tt.message {
			t.Errorf("replyFailure(%q) = %+v, want %s %s %q", tt.msg, f, tt.code, tt.cause, tt.message)
		}
	}
}
