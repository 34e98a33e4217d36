package vocab

// SQLStateCause is the cause a database's SQLSTATE (PostgreSQL, MySQL's
// SQLSTATE, and others that follow the standard's classes) says: a
// statement or lock timeout is a timeout, a connection exception (class
// 08) or a server shutting down or not accepting connections an
// unavailable database, insufficient resources (class 53: disk, memory,
// too many connections) exhaustion, anything else the database refusing
// the statement.
func SQLStateCause(code string) Cause {
	switch code {
	case "57014", // query_canceled: statement_timeout, or a cancel request
		"55P03": // lock_not_available: lock_timeout
		return CauseTimeout
	case "57P01", "57P02", "57P03": // admin_shutdown, crash_shutdown, cannot_connect_now
		return CauseDBUnavailable
	}
	if len(code) >= 2 {
		switch code[:2] {
		case "08": // connection exception
			return CauseDBUnavailable
		case "53": // insufficient resources
			return CauseResourceExhausted
		}
	}
	return CauseDBError
}
