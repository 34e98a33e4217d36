// Package instrumentredis traces github.com/redis/go-redis/v9 with client
// spans and failhop's marks, as package instrument traces database/sql:
//
//	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
//	if err := instrumentredis.Instrument(rdb); err != nil { ... }
//
// It is a module of its own, so that a service that imports only package
// instrument downloads no go-redis.
//
// Every command and every pipeline (transactions included) becomes a client
// span following the semantic conventions for Redis, made by package
// instrument (instrument.DBSpans):
//
//   - named after the command, in upper case as Redis documents it ("GET",
//     "SET"); a pipeline is named "PIPELINE" and its commands in the order
//     they first appear ("PIPELINE GET SET", db.query.summary), with
//     db.operation.name "PIPELINE GET" when all its commands are the same,
//     else "PIPELINE" ("MULTI" for a transaction), and
//     db.operation.batch.size;
//   - db.system.name "redis", server.address and server.port (a Client's
//     configured address; a ClusterClient's when it has one), db.namespace
//     (the database index the Client was configured with);
//   - db.query.text: the command's shape, never its values (below);
//   - db.stored_procedure.name: the script digest of EVALSHA, the function
//     of FCALL.
//
// # Values are never recorded
//
// db.query.text holds the command name, the shape of its key, and "?" for
// every other argument: SET user:42 "Ada" is "SET user:? ?". Only the first
// key of the commands known to take one there (GET, SET, HSET, LPUSH,
// ZADD, DEL, EXPIRE...) is shaped; the arguments of every other command
// (AUTH, HELLO, CONFIG, EVAL's script...) are all "?". A key's shape keeps
// the parts of it, split at ':', that read as names (up to 24 lower-case
// letters, '_' and '-') and replaces every other part by "?": "user:42" is
// "user:?", "cart:7:items" is "cart:?:items", and an ID, a token, an e-mail
// address or any part with a digit or an upper-case letter never appears.
// At most 16 arguments are written, then "...".
//
// An error reply's message is recorded with every quoted part and number
// replaced by "?" (instrument.SanitizeSQL): Redis quotes the arguments it
// refuses ("ERR unknown command 'x', with args beginning with: ...").
// The message of a script's error reply (EVAL, EVALSHA, FCALL), which the
// script writes, is not recorded: only its prefix.
//
// # Failures
//
//   - redis.Nil (a missing key) is no failure; nor are the error replies
//     that go-redis expects and ignores in the handshake of a new
//     connection (HELLO, CLIENT SETINFO, CLIENT MAINT_NOTIFICATIONS, which
//     older servers lack): the handshake's commands are spans under the
//     command that needed the connection;
//   - an error reply makes the span the origin, with db.response.status_code
//     and error.type the reply's prefix (WRONGTYPE, ERR, NOSCRIPT...) and
//     cause db_error; OOM and "max number of clients reached" are
//     resource_exhausted; LOADING, BUSY, READONLY, MASTERDOWN, CLUSTERDOWN,
//     TRYAGAIN, NOREPLICAS, NOAUTH and WRONGPASS are db_unavailable;
//   - a server that cannot be reached (refused, reset, closed connection)
//     is db_unavailable; a deadline is timeout, a pool with no connection
//     to give resource_exhausted; a caller who gave up is canceled, without
//     Error status;
//   - in a pipeline, the first command that failed decides.
//
// Each failure is reported to the request record of the instrument.Handler
// whose context the command ran with, with the line of the service's code
// that made the call, so that a request answering 500 after a failed
// command names it.
//
// go-redis dials its pool's connections apart from any call (their context
// carries no span): a connection that cannot be made shows as the failure
// of the command that needed it. A dial made within a traced context (a
// PubSub's) is a "connect" span of its own.
package instrumentredis
