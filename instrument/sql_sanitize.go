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
		return l.run(start, tokSpace, isSpace)
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
		return l.lineComment(start)
	case c == '/' && start+1 < len(s) && s[start+1] == '*':
		return l.blockComment(start)
	case isDigit(c) || (c == '.' && start+1 < len(s) && isDigit(s[start+1])):
		return l.number(start)
	case c == '$':
		return l.dollar(start)
	case c == '?':
		l.i = start + 1
		return tokPlaceholder, start, l.i
	case l.namedPlaceholder(start):
		return l.run(start, tokPlaceholder, isIdentPart)
	case isIdentStart(c):
		return l.word(start)
	}
	l.i = start + 1
	return tokPunct, start, l.i
}

// run returns a token of the given kind: the byte at start and every byte
// after it that in accepts.
func (l *lexer) run(start int, kind tokKind, in func(byte) bool) (tokKind, int, int) {
	i := start + 1
	for i < len(l.s) && in(l.s[i]) {
		i++
	}
	l.i = i
	return kind, start, i
}

// lineComment returns the "--" comment at start, through its newline.
func (l *lexer) lineComment(start int) (tokKind, int, int) {
	i := strings.IndexByte(l.s[start:], '\n')
	if i < 0 {
		l.i = len(l.s)
	} else {
		l.i = start + i + 1
	}
	return tokComment, start, l.i
}

// namedPlaceholder reports whether a named or numbered placeholder starts
// at start: :name, :1, @p1. "::" (a PostgreSQL cast) is punctuation.
func (l *lexer) namedPlaceholder(start int) bool {
	s := l.s
	c := s[start]
	return (c == ':' || c == '@') && start+1 < len(s) && isIdentPart(s[start+1]) && s[start+1] != '$' &&
		!(start > 0 && s[start-1] == ':')
}

// word returns the word at start, or the string it prefixes: E'..', X'..',
// B'..', N'..', U&'..', _utf8'..'.
func (l *lexer) word(start int) (tokKind, int, int) {
	s := l.s
	i := start + 1
	for i < len(s) && isIdentPart(s[i]) {
		i++
	}
	if i < len(s) && s[i] == '\'' && isStringPrefix(s[start:i]) {
		return l.quoted(start, i+1, '\'', tokLiteral)
	}
	if i+1 < len(s) && s[i] == '&' && s[i+1] == '\'' && (s[start:i] == "U" || s[start:i] == "u") {
		return l.quoted(start, i+2, '\'', tokLiteral)
	}
	l.i = i
	return tokWord, start, i
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
// sanitized text if sanitize is set, in one pass of the lexer: each token
// goes to the sanitizer, then to the summarizer.
func analyzeQuery(q string, dqIdent bool, sanitize bool) queryInfo {
	lx := lexer{s: q, dqIdent: dqIdent}
	var san sanitizer
	if sanitize {
		san.out = make([]byte, 0, len(q))
	}
	sum := summarizer{stmtStart: true, withDepth: -1}
	for {
		kind, a, b := lx.next()
		if kind == tokEOF {
			break
		}
		if sanitize {
			san.add(kind, q[a:b])
		}
		if kind == tokUnterminated || kind == tokOpenComment {
			break // the rest is one literal or comment: nothing to summarize
		}
		sum.add(kind, q[a:b])
	}
	info := sum.info
	if len(sum.sum) > 0 {
		info.summary = string(sum.sum)
	}
	if sanitize {
		info.sanitized = san.text()
	}
	return info
}

// sanitizer writes a query's text with every literal replaced by "?" and
// its comments removed.
type sanitizer struct {
	out          []byte
	afterComment bool // only blanks since the last comment
}

func (s *sanitizer) add(kind tokKind, text string) {
	switch kind {
	case tokLiteral, tokUnterminated:
		s.out = append(s.out, '?')
	case tokComment, tokOpenComment:
		// Keep tokens apart ("1/**/2" must not become "??"), without
		// piling up blanks.
		if n := len(s.out); n > 0 && !isSpace(s.out[n-1]) {
			s.out = append(s.out, ' ')
		}
	case tokSpace:
		if n := len(s.out); n == 0 || !isSpace(s.out[n-1]) || !s.afterComment {
			s.out = append(s.out, text...)
		}
	default:
		s.out = append(s.out, text...)
	}
	s.afterComment = kind == tokComment || (s.afterComment && kind == tokSpace)
}

// text returns the sanitized query, without the blanks a trailing comment
// left.
func (s *sanitizer) text() string {
	out := s.out
	for len(out) > 0 && isSpace(out[len(out)-1]) {
		out = out[:len(out)-1]
	}
	return string(out)
}

// summarizer derives the operation name and db.query.summary of a query
// from its tokens: each statement's operations and the tables they act on,
// in order ("SELECT orders", "INSERT orders SELECT carts").
type summarizer struct {
	info queryInfo // the operation
	sum  []byte    // the summary

	stmtStart   bool   // the next word starts a statement
	prevKw      string // the previous word, if a keyword
	expectTable bool   // the next name is a table (after FROM, INTO, JOIN...)
	fromList    bool   // inside a FROM list, where ',' introduces another table
	ddl         int    // after CREATE/ALTER/DROP: 1 = want object kind, 2 = want its name
	lastName    bool   // the last summary item is a name that may continue with ".part"
	afterDot    bool   // the last token was the "." after such a name
	depth       int    // parenthesis depth
	withDepth   int    // paren depth of a WITH statement waiting for its main operation; -1 if none
	unknownStmt bool   // the statement starts with no known keyword: no summary for it
}

// addSum appends a word to the summary, if it fits.
func (s *summarizer) addSum(w string) {
	if s.unknownStmt || len(s.sum)+1+len(w) > maxSummary {
		return
	}
	if len(s.sum) > 0 {
		s.sum = append(s.sum, ' ')
	}
	s.sum = append(s.sum, w...)
}

// add takes the next token of the query (neither unterminated nor an open
// comment: the caller stops at those).
func (s *summarizer) add(kind tokKind, text string) {
	if s.afterDot {
		s.continueName(kind, text)
		return
	}
	switch kind {
	case tokSpace, tokComment:
		return
	case tokPunct:
		s.punct(text)
		return
	case tokLiteral, tokPlaceholder:
		s.lastName = false
		s.expectTable = false
		return
	}
	// A word or quoted identifier.
	s.lastName = false
	kw := ""
	if kind == tokWord {
		kw = keyword(text)
	}
	if s.stmtStart {
		s.stmtStart = false
		if kw != "" {
			s.startStatement(kw)
			return
		}
		s.unknownStmt = true
	}
	if s.ddl > 0 {
		s.ddlWord(kw, text)
		return
	}
	s.word(kw, text)
}

// continueName takes the token after the "." that follows a name:
// schema.table. A name right after the dot continues the last one; anything
// else ends it, and counts for nothing.
func (s *summarizer) continueName(kind tokKind, text string) {
	s.afterDot = false
	if (kind == tokWord || kind == tokQuotedIdent) && !s.unknownStmt && len(s.sum)+1+len(text) <= maxSummary {
		s.sum = append(s.sum, '.')
		s.sum = append(s.sum, text...)
		return
	}
	s.lastName = false
}

// punct takes a punctuation token: parentheses, list commas, the ";" between
// statements and the "." inside a qualified name.
func (s *summarizer) punct(text string) {
	switch text {
	case "(":
		s.depth++
	case ")":
		s.depth--
		s.fromList = false
	case ",":
		if s.fromList {
			s.expectTable = true
		}
	case ";":
		*s = summarizer{info: s.info, sum: s.sum, depth: s.depth, stmtStart: true, withDepth: -1}
	case ".":
		if s.lastName {
			s.afterDot = true
			return
		}
	}
	s.lastName = false
}

// startStatement takes the keyword that starts a statement.
func (s *summarizer) startStatement(kw string) {
	s.info.setOperation(kw)
	s.prevKw = kw
	if kw == "WITH" {
		s.withDepth = s.depth
		return
	}
	s.addSum(kw)
	switch kw {
	case "CREATE", "ALTER", "DROP":
		s.ddl = 1
	case "TRUNCATE":
		s.ddl = 2
	case "UPDATE":
		s.expectTable = true
	}
}

// ddlWord takes a word after CREATE/ALTER/DROP/TRUNCATE: the object kind,
// then its name.
func (s *summarizer) ddlWord(kw, text string) {
	switch {
	case s.ddl == 1 && isObjectKind(kw):
		s.addSum(kw)
		s.ddl = 2
	case s.ddl == 2 && (kw == "IF" || kw == "NOT" || kw == "EXISTS" || kw == "TABLE" || kw == "ONLY"):
	case s.ddl == 2:
		s.addSum(text)
		s.lastName = true
		s.ddl = 0
	}
}

// word takes a word inside a statement: kw is its keyword, or "" for a name.
func (s *summarizer) word(kw, text string) {
	prev := s.prevKw
	s.prevKw = kw
	switch kw {
	case "SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "REPLACE", "UPSERT":
		s.operationWord(kw, prev)
		return
	case "FROM", "JOIN", "INTO":
		s.expectTable = true
		s.fromList = kw == "FROM"
		return
	case "AS", "ONLY", "LATERAL":
		return
	case "":
	default:
		// Any other keyword ends a table list (WHERE, ON, SET...).
		s.expectTable = false
		s.fromList = false
		return
	}
	if s.expectTable {
		s.addSum(text)
		s.lastName = true
		s.expectTable = false
	}
}

// operationWord takes an operation keyword inside a statement; prev is the
// keyword before it.
func (s *summarizer) operationWord(kw, prev string) {
	if prev == "DO" || prev == "FOR" || prev == "KEY" || prev == "OR" {
		// ON CONFLICT DO UPDATE, FOR UPDATE, ON DUPLICATE KEY UPDATE,
		// INSERT OR REPLACE: not operations of their own.
		s.expectTable = false
		return
	}
	if s.withDepth >= 0 && s.depth == s.withDepth {
		// The main statement of a WITH query.
		s.info.setOperation(kw)
		s.withDepth = -1
	}
	s.addSum(kw)
	s.expectTable = kw == "UPDATE"
	s.fromList = false
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
