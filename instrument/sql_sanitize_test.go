package instrument

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSanitizeQuery(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		dqIdent bool
		want    string
	}{
		{"empty", "", false, ""},
		{"no literal", "SELECT id FROM users WHERE id = $1", false, "SELECT id FROM users WHERE id = $1"},
		{"string", "SELECT * FROM users WHERE name = 'secret'", false, "SELECT * FROM users WHERE name = ?"},
		{"escaped quote", "SELECT 'it''s secret', x", false, "SELECT ?, x"},
		{"backslash quote", `SELECT 'it\'s secret', x`, false, "SELECT ?, x"},
		{"numbers", "SELECT a FROM t WHERE b = 42 AND c > 3.14 AND d < -1e10 AND e = .5", false,
			"SELECT a FROM t WHERE b = ? AND c > ? AND d < -? AND e = ?"},
		{"hex number", "UPDATE t SET flags = 0xDEADBEEF", false, "UPDATE t SET flags = ?"},
		{"hex string", "INSERT INTO blobs VALUES (X'0102ff', x'ab')", false, "INSERT INTO blobs VALUES (?, ?)"},
		{"escape string", `SELECT E'secret\n', N'secret', B'0101'`, false, "SELECT ?, ?, ?"},
		{"identifiers with digits", "SELECT col1, t2.c_3 FROM t2", false, "SELECT col1, t2.c_3 FROM t2"},
		{"placeholders", "SELECT * FROM t WHERE a = ? AND b = $12 AND c = :name AND d = @p1", false,
			"SELECT * FROM t WHERE a = ? AND b = $12 AND c = :name AND d = @p1"},
		{"cast", "SELECT $1::int, '5'::text", false, "SELECT $1::int, ?::text"},
		{"dollar quoted", "SELECT $$secret$$, 1", false, "SELECT ?, ?"},
		{"tagged dollar quoted", "DO $body$ BEGIN RAISE 'secret $$ '; END $body$", false, "DO ?"},
		{"unterminated string", "SELECT 'secret FROM t WHERE x = 1", false, "SELECT ?"},
		{"unterminated dollar", "SELECT $t$ secret", false, "SELECT ?"},
		{"line comment", "SELECT 1 -- secret\nFROM t", false, "SELECT ? FROM t"},
		{"block comment", "SELECT /* secret */ a FROM t", false, "SELECT a FROM t"},
		{"nested comment", "SELECT /* a /* secret */ b */ c", false, "SELECT c"},
		{"unterminated comment", "SELECT a /* secret", false, "SELECT a"},
		{"comment keeps tokens apart", "SELECT 1/**/2", false, "SELECT ? ?"},
		{"double quotes as strings", `SELECT * FROM t WHERE a = "secret"`, false, "SELECT * FROM t WHERE a = ?"},
		{"double quotes as identifiers", `SELECT "Name" FROM "Users"`, true, `SELECT "Name" FROM "Users"`},
		{"unterminated identifier", `SELECT "secret`, true, "SELECT ?"},
		{"backticks", "SELECT `order` FROM `t1`", false, "SELECT `order` FROM `t1`"},
		{"in list", "SELECT * FROM t WHERE id IN (1, 2, 3)", false, "SELECT * FROM t WHERE id IN (?, ?, ?)"},
		{"number glued to letters", "SELECT 123abc", false, "SELECT ?"},
		{"true null kept", "SELECT * FROM t WHERE a IS NULL AND b = TRUE", false, "SELECT * FROM t WHERE a IS NULL AND b = TRUE"},
		{"utf8", "SELECT 'héllo' FROM tablé", false, "SELECT ? FROM tablé"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sanitizeQuery(tt.in, tt.dqIdent); got != tt.want {
				t.Errorf("sanitizeQuery(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestAnalyzeQuery(t *testing.T) {
	tests := []struct {
		in      string
		op, sum string
	}{
		{"SELECT * FROM stock WHERE id = $1", "SELECT", "SELECT stock"},
		{"select * from stock", "SELECT", "SELECT stock"},
		{"SELECT 1", "SELECT", "SELECT"},
		{"SELECT * FROM public.orders o", "SELECT", "SELECT public.orders"},
		{"SELECT * FROM a, b WHERE a.id = b.id", "SELECT", "SELECT a b"},
		{"SELECT * FROM songs s JOIN artists a ON s.artist_id = a.id", "SELECT", "SELECT songs artists"},
		{"SELECT order_date FROM (SELECT * FROM orders o JOIN customers c ON o.customer_id = c.id)", "SELECT", "SELECT SELECT orders customers"},
		{"INSERT INTO shipping_details (id, time) VALUES (?, ?)", "INSERT", "INSERT shipping_details"},
		{"INSERT INTO shipping_details SELECT * FROM orders", "INSERT", "INSERT shipping_details SELECT orders"},
		{"INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET a = 2", "INSERT", "INSERT t"},
		{"INSERT OR REPLACE INTO t VALUES (1)", "INSERT", "INSERT t"},
		{"UPDATE accounts SET balance = 0 WHERE id = 7", "UPDATE", "UPDATE accounts"},
		{"DELETE FROM sessions WHERE expires < now()", "DELETE", "DELETE sessions"},
		{"SELECT * FROM t FOR UPDATE", "SELECT", "SELECT t"},
		{"WITH recent AS (SELECT * FROM orders) SELECT * FROM recent", "SELECT", "SELECT orders SELECT recent"},
		{"WITH x AS (SELECT 1) DELETE FROM t", "DELETE", "SELECT DELETE t"},
		{"CREATE TABLE IF NOT EXISTS items (id int)", "CREATE", "CREATE TABLE items"},
		{"CREATE UNIQUE INDEX idx_email ON users (email)", "CREATE", "CREATE INDEX idx_email"},
		{"DROP TABLE items", "DROP", "DROP TABLE items"},
		{"TRUNCATE TABLE items", "TRUNCATE", "TRUNCATE items"},
		{"BEGIN", "BEGIN", "BEGIN"},
		{"SET statement_timeout = 10", "SET", "SET"},
		{"/* comment */ SELECT * FROM t", "SELECT", "SELECT t"},
		{`SELECT * FROM "Order Items"`, "SELECT", `SELECT "Order Items"`},
		{"SELECT * FROM t; SELECT * FROM u", "SELECT", "SELECT t SELECT u"},
		{"", "", ""},
		{"   ", "", ""},
		{"foo bar", "", ""},
		{"SELEC name FROM items", "", ""},
		{"SELEC name FROM items; DELETE FROM t", "DELETE", "DELETE t"},
		{"'secret'", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			qi := analyzeQuery(tt.in, true, false)
			if qi.operation != tt.op || qi.summary != tt.sum {
				t.Errorf("analyzeQuery(%q) = (%q, %q), want (%q, %q)", tt.in, qi.operation, qi.summary, tt.op, tt.sum)
			}
		})
	}
}

func TestSummaryLength(t *testing.T) {
	q := "SELECT * FROM " + strings.Repeat("a_rather_long_table_name, ", 40) + "z"
	qi := analyzeQuery(q, false, false)
	if len(qi.summary) > maxSummary {
		t.Errorf("summary is %d long, want at most %d", len(qi.summary), maxSummary)
	}
}

// FuzzSanitizeQuery checks that the sanitizer never panics, never lets a
// quote through (every string is replaced whole), and that the value of a
// literal has no influence at all on the sanitized text, the operation or
// the summary, in whatever form it is written.
func FuzzSanitizeQuery(f *testing.F) {
	for _, seed := range []struct{ q, secret string }{
		{"SELECT * FROM users WHERE password = 'secret'", "secret"},
		{"SELECT 'it''s a secret' FROM t", "hunter2"},
		{`SELECT E'\'secret\'' `, `it's`},
		{"SELECT $$secret$$", "$$"},
		{"SELECT $tag$ secret $tag$", "$tag$"},
		{"SELECT 'unterminated secret", "'"},
		{"SELECT 1 -- secret 42", "42"},
		{"SELECT /* secret */ 1", "*/ 'x"},
		{"INSERT INTO t VALUES (0xCAFE, 3.14, -7, 1e9)", "0xCAFE"},
		{`UPDATE t SET a = "secret" WHERE b = :name AND c = $1 AND d = ?`, `"`},
		{"", ""},
		{"'", "\\"},
		{"$", "$1"},
		{"/*", "\n"},
		{"X'", "''"},
	} {
		f.Add(seed.q, seed.secret)
	}
	f.Fuzz(func(t *testing.T, q, secret string) {
		for _, dq := range []bool{false, true} {
			out := sanitizeQuery(q, dq)
			// Quoted identifiers may hold quotes; anything else that
			// does is a string, and must be gone.
			quotedIdents := strings.ContainsRune(q, '`') || (dq && strings.ContainsRune(q, '"'))
			if !quotedIdents && strings.ContainsRune(out, '\'') {
				t.Fatalf("sanitizeQuery(%q, %v) = %q: a quote got through", q, dq, out)
			}
			if utf8.ValidString(q) && !utf8.ValidString(out) {
				t.Fatalf("sanitizeQuery(%q, %v) = %q: not UTF-8", q, dq, out)
			}
			if len(out) > len(q) {
				t.Fatalf("sanitizeQuery(%q, %v) = %q: longer than the input", q, dq, out)
			}
		}

		// The same statement with secret and with a neutral value, in
		// every literal form, must read the same once sanitized.
		// The dollar quote's tag must not occur in the value, nor start at
		// its end (a value ending in "$x" would close "$x$" early).
		tag := "$x$"
		for strings.Contains(secret+tag[:len(tag)-1], tag) {
			tag = "$x" + tag[1:]
		}
		build := func(v string) string {
			return "SELECT a, 'x' FROM t WHERE s = '" + strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(v) +
				"' AND e = E'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) +
				"' AND d = " + tag + v + tag +
				" /* " + strings.NewReplacer("*", "", "/", "").Replace(v) + " */ AND n = 42" +
				" -- " + strings.ReplaceAll(v, "\n", " ") + "\nAND z = 0xfe"
		}
		want := analyzeQuery(build("v"), false, true)
		got := analyzeQuery(build(secret), false, true)
		if got != want {
			t.Fatalf("the literal %q shows through:\n got  %+v\n want %+v", secret, got, want)
		}
		if len(secret) >= 4 && strings.Contains(got.sanitized, secret) && !strings.Contains(want.sanitized, secret) {
			t.Fatalf("the literal %q survived in %q", secret, got.sanitized)
		}
	})
}
