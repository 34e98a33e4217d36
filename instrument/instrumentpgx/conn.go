package instrumentpgx

import (
	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// connInfo is what the spans of a connection share: the attributes of
// its configuration and the statements prepared under a name. It is kept
// in the connection's CustomData, made once when the connection is made
// rather than read from its configuration (a copy) at every query. A
// connection is used by one goroutine at a time: so is its connInfo.
type connInfo struct {
	attrs []attribute.KeyValue
	// names maps the statement names given to Prepare to their text.
	names map[string]string
}

// customDataKey is the key of a connInfo in a connection's CustomData.
const customDataKey = scope

// newConnInfo makes the connInfo of a configuration: server.address,
// server.port and db.namespace. Never the password, nor the connection
// string, which may hold it.
func newConnInfo(cfg *pgx.ConnConfig) *connInfo {
	info := &connInfo{}
	if cfg == nil {
		return info
	}
	if cfg.Host != "" {
		info.attrs = append(info.attrs, semconv.ServerAddress(cfg.Host))
	}
	if cfg.Port != 0 {
		info.attrs = append(info.attrs, semconv.ServerPort(int(cfg.Port)))
	}
	if cfg.Database != "" {
		info.attrs = append(info.attrs, semconv.DBNamespace(cfg.Database))
	}
	return info
}

// attach keeps info in conn's CustomData.
func (info *connInfo) attach(conn *pgx.Conn) {
	if pc := conn.PgConn(); pc != nil {
		if m := pc.CustomData(); m != nil {
			m[customDataKey] = info
		}
	}
}

// infoOf returns the connInfo of conn; for a connection made before the
// tracer was set, it makes it, once.
func infoOf(conn *pgx.Conn) *connInfo {
	if conn == nil {
		return &connInfo{}
	}
	if pc := conn.PgConn(); pc != nil {
		if info, ok := pc.CustomData()[customDataKey].(*connInfo); ok {
			return info
		}
	}
	info := newConnInfo(conn.Config())
	info.attach(conn)
	return info
}

// prepared notes that name, given to Prepare, names the statement sql.
func (info *connInfo) prepared(name, sql string) {
	if name == "" || name == sql {
		return
	}
	if info.names == nil {
		info.names = map[string]string{}
	}
	info.names[name] = sql
}

// statement returns the statement that sql names, if it is a name given
// to Prepare, else sql.
func (info *connInfo) statement(sql string) string {
	if s, ok := info.names[sql]; ok {
		return s
	}
	return sql
}
