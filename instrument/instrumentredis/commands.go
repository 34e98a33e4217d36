package instrumentredis

import "strings"

// keyCommands are the commands whose first argument is a key, as go-redis
// names them (lower case): only their key is shaped in db.query.text, every
// other argument is "?". A command not listed has all its arguments "?".
var keyCommands = set(
	// strings
	"get", "set", "setnx", "setex", "psetex", "getset", "getex", "getdel", "mget", "mset", "msetnx",
	"incr", "incrby", "incrbyfloat", "decr", "decrby", "append", "strlen", "getrange", "setrange", "lcs",
	// keys
	"del", "unlink", "exists", "expire", "pexpire", "expireat", "pexpireat", "expiretime", "pexpiretime",
	"ttl", "pttl", "persist", "type", "rename", "renamenx", "touch", "dump", "restore", "copy", "sort", "sort_ro",
	// hashes
	"hget", "hset", "hsetnx", "hmset", "hmget", "hdel", "hexists", "hgetall", "hkeys", "hvals", "hlen",
	"hincrby", "hincrbyfloat", "hstrlen", "hscan", "hrandfield", "hexpire", "hpexpire", "httl", "hpttl",
	"hpersist", "hgetdel", "hgetex", "hsetex",
	// lists
	"lpush", "rpush", "lpushx", "rpushx", "lpop", "rpop", "llen", "lrange", "lindex", "lset", "linsert",
	"lrem", "ltrim", "lpos", "lmove", "rpoplpush", "blpop", "brpop", "blmove", "brpoplpush",
	// sets
	"sadd", "srem", "smembers", "sismember", "smismember", "scard", "spop", "srandmember", "sinter",
	"sunion", "sdiff", "sinterstore", "sunionstore", "sdiffstore", "smove", "sscan",
	// sorted sets
	"zadd", "zrem", "zscore", "zmscore", "zincrby", "zcard", "zcount", "zrange", "zrangebyscore",
	"zrevrange", "zrevrangebyscore", "zrank", "zrevrank", "zremrangebyrank", "zremrangebyscore",
	"zrangebylex", "zrevrangebylex", "zlexcount", "zremrangebylex", "zpopmin", "zpopmax", "bzpopmin",
	"bzpopmax", "zrandmember", "zscan", "zrangestore", "zunionstore", "zinterstore", "zdiffstore",
	// streams
	"xadd", "xrange", "xrevrange", "xlen", "xdel", "xtrim", "xack", "xpending", "xclaim", "xautoclaim",
	// bitmaps, HyperLogLog, geo
	"setbit", "getbit", "bitcount", "bitpos", "bitfield", "bitfield_ro", "pfadd", "pfcount", "pfmerge",
	"geoadd", "geodist", "geohash", "geopos", "georadius", "georadiusbymember", "geosearch", "geosearchstore",
	// transactions
	"watch",
)

// upperNames maps the names of well-known commands to their upper case,
// so that naming a span costs no allocation.
var upperNames = func() map[string]string {
	m := map[string]string{}
	for name := range keyCommands {
		m[name] = strings.ToUpper(name)
	}
	for _, name := range []string{
		"ping", "echo", "auth", "hello", "select", "info", "client", "config", "cluster", "command",
		"dbsize", "flushdb", "flushall", "multi", "exec", "discard", "unwatch", "eval", "evalsha",
		"eval_ro", "evalsha_ro", "fcall", "fcall_ro", "script", "function", "publish", "spublish",
		"subscribe", "psubscribe", "unsubscribe", "punsubscribe", "scan", "keys", "xread", "xreadgroup",
		"xgroup", "xinfo", "time", "memory", "object", "wait", "readonly", "readwrite",
	} {
		m[name] = strings.ToUpper(name)
	}
	return m
}()

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}
