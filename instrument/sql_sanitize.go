package instrument

import (
	"strings"
)

// This file reads SQL text just enough to derive the attributes of a query
// span: the sanitized db.query.text, db.operation.name and db.query.summary.
// It is a lexer, not a parser: it never fails, whatever the input, and it
// errs on the side of removing text. A literal (string, number, hex or
// dollar-quoted string) is replaced by "?", comments are dropped, and an
// unterminated string or comment drops the rest of the statement, so that
// no value the application wrote into the query text can reach a span.

// tokKind is the kind of a lexical token of SQL text.
type tokKind uint8

const (
	tokEOF          tokKind = iota
	tokSpace                // blanks
	tokWord                 // identifier or keyword: [A-Za-z_][A-Za-z0-9_$]*, or non-ASCII
	tokQuotedIdent          // "ident" (when double quotes are identifiers), `ident`
	tokLiteral              // 'string', E'..', X'..', 123, 1.5e3, 0xFF, $$..$$, "string"
	tokPlaceholder          // ?, $1, :name, @name
	tokComment              // -- ... or /* ... */
	tokPunct                // anything else, one byte at a time (operators, parens...)
	tokUnterminated         // a string or quoted identifier with no end: the rest of the input
	tokOpenComment          // a /* comment with no end: the rest of the input
)

// lexer splits SQL text into tokens.
type lexer struct {
	s string
	i int
	// dqIdent says that "..." is a quoted identifier (PostgreSQL and the
	// SQL standard). Otherwise it is taken for a string literal, as MySQL
	// does, and as SQLite does when no column has that name.
	dqIdent bool
}

func isIdentStart(c byte) bool {
	return c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z') || c >= 0x80
}

func isIdentPart(c byte) bool {
	return isIdentStart(c) || isDigit(c) || c == '$'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHexDigit(c byte) bool {
	return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f')
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// next returns the next token as its kind and the bounds of its text.
func (l *lexer) next() (tokKind, int, int) {
	s, start := l.s, l.i
	if start >= len(s) {
		return tokEOF, start, start
	}
	c := s[start]
	switch {
	case isSpace(c):
		i := start + 1
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		l.i = i
		return tokSpace, start, i
	case c == '\'':
		return l.quoted(start, start+1, '\'', tokLiteral)
	case c == '"':
		if l.dqIdent {
			return l.quoted(start, start+1, '"', tokQuotedIdent)
		}
		return l.quoted(start, start+1, '"', tokLiteral)
	case c == '`':
		return l.quoted(start, start+1, '`', tokQuotedIdent)
	case c == '-' && start+1 < len(s) && s[start+1] == '-':
		i := strings.IndexByte(s[start:], '\n')
		if i < 0 {
			l.i = len(s)
		} else {
			l.i = start + i + 1
		}
		return tokComment, start, l.i
	case c == '/' && start+1 < len(s) && s[start+1] == '*':
		return l.blockComment(start)
	case isDigit(c) || (c == '.' && start+1 < len(s) && isDigit(s[start+1])):
		return l.number(start)
	case c == '$':
		return l.dollar(start)
	case c == '?':
		l.i = start + 1
		return tokPlaceholder, start, l.i
	case (c == ':' || c == '@') && start+1 < len(s) && isIdentPart(s[start+1]) && s[start+1] != '$':
		// :name, :1, @p1. "::" (a PostgreSQL cast) is punctuation below.
		if start > 0 && s[start-1] == ':' {
			break
		}
		i := start + 1
		for i < len(s) && isIdentPart(s[i]) {
			i++
		}
		l.i = i
		return tokPlaceholder, start, i
	case isIdentStart(c):
		i := start + 1
		for i < len(s) && isIdentPart(s[i]) {
			i++
		}
		// A prefixed string: E'..', X'..', B'..', N'..', U&'..', _utf8'..'.
		if i < len(s) && s[i] == '\'' && isStringPrefix(s[start:i]) {
			return l.quoted(start, i+1, '\'', tokLiteral)
		}
		if i+1 < len(s) && s[i] == '&' && s[i+1] == '\'' && (s[start:i] == "U" || s[start:i] == "u") {
			return l.quoted(start, i+2, '\'', tokLiteral)
		}
		l.i = i
		return tokWord, start, i
	}
	l.i = start + 1
	return tokPunct, start, l.i
}

// isStringPrefix reports whether w, written right before a quote, makes a
// string of a special kind rather than being a word of its own.
func isStringPrefix(w string) bool {
	switch len(w) {
	case 1:
		switch w[0] | 0x20 {
		case 'e', 'x', 'b', 'n':
			return true
		}
	}
	// MySQL character set introducers: _utf8mb4'...'.
	return w[0] == '_'
}

// quoted scans a quoted token whose body starts at i and ends at an
// unescaped q. A doubled quote is an escaped quote; so is a backslash
// before it (MySQL, PostgreSQL E” strings): treating the backslash as an
// escape everywhere can only make a string longer, never let a part of it
// out.
func (l *lexer) quoted(start, i int, q byte, kind tokKind) (tokKind, int, int) {
	s := l.s
	for i < len(s) {
		switch s[i] {
		case '\\':
			if q != '`' {
				i += 2
				continue
			}
		case q:
			if i+1 < len(s) && s[i+1] == q {
				i += 2
				continue
			}
			l.i = i + 1
			return kind, start, l.i
		}
		i++
	}
	l.i = len(s)
	return tokUnterminated, start, len(s)
}

// blockComment scans a /* */ comment, nested as PostgreSQL nests them.
func (l *lexer) blockComment(start int) (tokKind, int, int) {
	s := l.s
	depth := 0
	for i := start; i+1 < len(s); {
		switch {
		case s[i] == '/' && s[i+1] == '*':
			depth++
			i += 2
		case s[i] == '*' && s[i+1] == '/':
			depth--
			i += 2
			if depth == 0 {
				l.i = i
				return tokComment, start, i
			}
		default:
			i++
		}
	}
	l.i = len(s)
	return tokOpenComment, start, len(s)
}

// number scans a numeric literal: 12, 1.5, .5, 1e-3, 0x1F, 0b101, 1_000.
func (l *lexer) number(start int) (tokKind, int, int) {
	s := l.s
	i := start
	if s[i] == '0' && i+1 < len(s) && (s[i+1]|0x20 == 'x' || s[i+1]|0x20 == 'b' || s[i+1]|0x20 == 'o') {
		i += 2
		for i < len(s) && (isHexDigit(s[i]) || s[i] == '_') {
			i++
		}
	} else {
		for i < len(s) && (isDigit(s[i]) || s[i] == '_' || s[i] == '.') {
			i++
		}
		if i < len(s) && s[i]|0x20 == 'e' {
			j := i + 1
			if j < len(s) && (s[j] == '+' || s[j] == '-') {
				j++
			}
			if j < len(s) && isDigit(s[j]) {
				i = j
				for i < len(s) && isDigit(s[i]) {
					i++
				}
			}
		}
	}
	// Letters glued to a number (123abc) belong to it: never leave a part
	// of a value behind as a word.
	for i < len(s) && isIdentPart(s[i]) {
		i++
	}
	l.i = i
	return tokLiteral, start, i
}

// dollar scans what starts with '$': a positional parameter ($1), a
// dollar-quoted string ($$..$$, $tag$..$tag$), or a lone '$'.
func (l *lexer) dollar(start int) (tokKind, int, int) {
	s := l.s
	i := start + 1
	if i < len(s) && isDigit(s[i]) {
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		l.i = i
		return tokPlaceholder, start, i
	}
	// A tag is an identifier without '$'.
	j := i
	if j < len(s) && isIdentStart(s[j]) {
		j++
		for j < len(s) && (isIdentStart(s[j]) || isDigit(s[j])) {
			j++
		}
	}
	if j < len(s) && s[j] == '$' {
		tag := s[start : j+1]
		body := j + 1
		end := strings.Index(s[body:], tag)
		if end < 0 {
			l.i = len(s)
			return tokUnterminated, start, len(s)
		}
		l.i = body + end + len(tag)
		return tokLiteral, start, l.i
	}
	l.i = i
	return tokPunct, start, i
}

// queryInfo is what a query span says about its statement.
type queryInfo struct {
	operation string // db.operation.name: SELECT, INSERT...; "" if unknown
	summary   string // db.query.summary: "SELECT orders"; "" if unknown
	sanitized string // the text with literals replaced by "?"; set only if asked for
}

// maxSummary is the longest db.query.summary written, as the semantic
// conventions recommend (at most 255 characters).
const maxSummary = 255

// sanitizeQuery returns q with every literal replaced by "?" and comments
// removed. dqIdent says that double quotes delimit identifiers (PostgreSQL);
// otherwise double-quoted text is taken for a string and replaced too.
func sanitizeQuery(q string, dqIdent bool) string {
	return analyzeQuery(q, dqIdent, true).sanitized
}

// analyzeQuery derives the operation name and summary of q, and also its
// sanitized text if sanitize is set, in a single pass.
func analyzeQuery(q string, dqIdent bool, sanitize bool) queryInfo {
	var (
		info queryInfo
		out  []byte // sanitized text
		sum  []byte // summary
		lx   = lexer{s: q, dqIdent: dqIdent}

		// summary state
		stmtStart    = true  // the next word starts a statement
		prevKw       = ""    // the previous word, if a keyword
		expectTable  = false // the next name is a table (after FROM, INTO, JOIN...)
		fromList     = false // inside a FROM list, where ',' introduces another table
		ddl          = 0     // after CREATE/ALTER/DROP: 1 = want object kind, 2 = want its name
		lastName     = false // the last summary item is a name that may continue with ".part"
		depth        = 0     // parenthesis depth
		withDepth    = -1    // paren depth of a WITH statement waiting for its main operation
		afterComment bool    // only blanks since the last comment
		unknownStmt  bool    // the statement starts with no known keyword: no summary for it
	)
	if sanitize {
		out = make([]byte, 0, len(q))
	}
	addSum := func(w string) {
		if unknownStmt || len(sum)+1+len(w) > maxSummary {
			return
		}
		if len(sum) > 0 {
			sum = append(sum, ' ')
		}
		sum = append(sum, w...)
	}
	for {
		kind, a, b := lx.next()
		if kind == tokEOF {
			break
		}
		text := q[a:b]
		if sanitize {
			switch kind {
			case tokLiteral, tokUnterminated:
				out = append(out, '?')
			case tokComment, tokOpenComment:
				// Keep tokens apart ("1/**/2" must not become "??"),
				// without piling up blanks.
				if n := len(out); n > 0 && !isSpace(out[n-1]) {
					out = append(out, ' ')
				}
			case tokSpace:
				if n := len(out); n == 0 || !isSpace(out[n-1]) || !afterComment {
					out = append(out, text...)
				}
			default:
				out = append(out, text...)
			}
		}
		if kind == tokUnterminated || kind == tokOpenComment {
			break
		}
		afterComment = kind == tokComment || (afterComment && kind == tokSpace)

		switch kind {
		case tokSpace, tokComment:
			continue
		case tokPunct:
			switch text {
			case "(":
				depth++
			case ")":
				depth--
				fromList = false
			case ",":
				if fromList {
					expectTable = true
				}
			case ";":
				stmtStart, prevKw, expectTable, fromList, ddl, withDepth, unknownStmt = true, "", false, false, 0, -1, false
			case ".":
				if lastName {
					// schema.table: the next name continues this one.
					kind2, a2, b2 := lx.next()
					if sanitize {
						if kind2 == tokLiteral || kind2 == tokUnterminated {
							out = append(out, '?')
						} else if kind2 != tokComment && kind2 != tokOpenComment {
							out = append(out, q[a2:b2]...)
						}
					}
					if kind2 == tokUnterminated || kind2 == tokOpenComment {
						return finish(info, out, sum, sanitize)
					}
					if (kind2 == tokWord || kind2 == tokQuotedIdent) && !unknownStmt && len(sum)+1+(b2-a2) <= maxSummary {
						sum = append(sum, '.')
						sum = append(sum, q[a2:b2]...)
						continue
					}
				}
			}
			lastName = false
			continue
		case tokLiteral, tokPlaceholder:
			lastName = false
			expectTable = false
			continue
		}
		// A word or quoted identifier.
		lastName = false
		kw := ""
		if kind == tokWord {
			kw = keyword(text)
		}
		if stmtStart {
			stmtStart = false
			if kw != "" {
				info.setOperation(kw)
				prevKw = kw
				switch kw {
				case "WITH":
					withDepth = depth
					continue
				}
				addSum(kw)
				switch kw {
				case "CREATE", "ALTER", "DROP", "TRUNCATE":
					ddl = 1
					if kw == "TRUNCATE" {
						ddl = 2
					}
				case "UPDATE":
					expectTable = true
				}
				continue
			}
			unknownStmt = true
		}
		if ddl > 0 {
			switch {
			case ddl == 1 && isObjectKind(kw):
				addSum(kw)
				ddl = 2
			case ddl == 2 && (kw == "IF" || kw == "NOT" || kw == "EXISTS" || kw == "TABLE" || kw == "ONLY"):
			case ddl == 2:
				addSum(text)
				lastName = true
				ddl = 0
			}
			continue
		}
		prev := prevKw
		prevKw = kw
		switch kw {
		case "SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "REPLACE", "UPSERT":
			if prev == "DO" || prev == "FOR" || prev == "KEY" || prev == "OR" {
				// ON CONFLICT DO UPDATE, FOR UPDATE, ON DUPLICATE KEY UPDATE,
				// INSERT OR REPLACE: not operations of their own.
				expectTable = false
				continue
			}
			if withDepth >= 0 && depth == withDepth {
				// The main statement of a WITH query.
				info.setOperation(kw)
				withDepth = -1
			}
			addSum(kw)
			expectTable = kw == "UPDATE"
			fromList = false
			continue
		case "FROM", "JOIN", "INTO":
			expectTable = true
			fromList = kw == "FROM"
			continue
		case "AS", "ONLY", "LATERAL":
			continue
		case "":
		default:
			// Any other keyword ends a table list (WHERE, ON, SET...).
			expectTable = false
			fromList = false
			continue
		}
		if expectTable {
			addSum(text)
			lastName = true
			expectTable = false
		}
	}
	return finish(info, out, sum, sanitize)
}

func finish(info queryInfo, out, sum []byte, sanitize bool) queryInfo {
	if sanitize {
		// Drop blanks left by a trailing comment.
		for len(out) > 0 && isSpace(out[len(out)-1]) {
			out = out[:len(out)-1]
		}
		info.sanitized = string(out)
	}
	if len(sum) > 0 {
		info.summary = string(sum)
	}
	return info
}

// setOperation sets the operation name if none is set yet.
func (info *queryInfo) setOperation(kw string) {
	if info.operation == "" && kw != "WITH" {
		info.operation = kw
	}
}

// keywords are the SQL keywords that matter to the operation name and the
// summary, upper case. A word not listed is taken for a name.
var keywords = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{
		// operations
		"SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "REPLACE", "UPSERT",
		"WITH", "CREATE", "ALTER", "DROP", "TRUNCATE", "CALL", "EXEC", "EXECUTE",
		"BEGIN", "START", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "SET",
		"SHOW", "EXPLAIN", "GRANT", "REVOKE", "VACUUM", "ANALYZE", "PRAGMA",
		"COPY", "LOCK", "LISTEN", "NOTIFY", "DECLARE", "FETCH", "PREPARE",
		"DEALLOCATE", "REFRESH", "REINDEX", "ATTACH", "DETACH", "USE", "DESCRIBE",
		"VALUES", "TABLE", "DO", "RESET", "DISCARD", "COMMENT",
		// table introducers and list enders
		"FROM", "JOIN", "INTO", "AS", "ONLY", "LATERAL", "WHERE", "ON", "USING",
		"GROUP", "ORDER", "BY", "HAVING", "LIMIT", "OFFSET", "UNION", "INTERSECT",
		"EXCEPT", "RETURNING", "WINDOW", "FOR", "INNER", "OUTER", "LEFT", "RIGHT",
		"FULL", "CROSS", "NATURAL", "AND", "OR", "NOT", "IN", "IS", "NULL",
		"EXISTS", "IF", "DISTINCT", "ALL", "CASE", "WHEN", "THEN", "ELSE", "END",
		"DEFAULT", "CONFLICT", "DUPLICATE", "KEY", "FETCH", "NEXT", "ROWS", "ROW",
		"OVER", "PARTITION", "BETWEEN", "LIKE", "ILIKE", "ASC", "DESC", "TRUE",
		"FALSE", "RECURSIVE", "MATCHED", "NOTHING", "FIRST",
		// object kinds
		"INDEX", "VIEW", "SEQUENCE", "SCHEMA", "DATABASE", "FUNCTION",
		"PROCEDURE", "TRIGGER", "TYPE", "EXTENSION", "ROLE", "USER",
		"MATERIALIZED", "TEMP", "TEMPORARY", "UNIQUE", "OR", "UNLOGGED",
		"VIRTUAL", "CONCURRENTLY",
	} {
		m[k] = k
	}
	return m
}()

// keyword returns the upper-case keyword w is, or "" if w is a name. It does
// not allocate.
func keyword(w string) string {
	if len(w) > 12 || len(w) < 2 {
		return ""
	}
	var buf [12]byte
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		buf[i] = c
	}
	return keywords[string(buf[:len(w)])]
}

// isObjectKind reports whether kw names the kind of object a DDL statement
// acts on; the summary keeps it ("CREATE TABLE orders").
func isObjectKind(kw string) bool {
	switch kw {
	case "TABLE", "INDEX", "VIEW", "SEQUENCE", "SCHEMA", "DATABASE", "FUNCTION",
		"PROCEDURE", "TRIGGER", "TYPE", "EXTENSION", "ROLE", "USER":
		return true
	}
	return false
}
