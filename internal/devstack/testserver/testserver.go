// Package testserver gives tests the address of a server that a script of
// scripts/ started and make test exported: PostgreSQL, Redis. Without one
// a test is skipped, or fails when CI=true, where there must be one.
package testserver

import (
	"os"
	"testing"
)

// PostgresDSN returns the DSN of the test PostgreSQL server
// (FAILHOP_TEST_POSTGRES_DSN, from scripts/postgres.sh).
func PostgresDSN(t testing.TB) string {
	t.Helper()
	return fromEnv(t, "FAILHOP_TEST_POSTGRES_DSN", "scripts/postgres.sh", "the DSN")
}

// RedisAddr returns the host:port of the test Redis server
// (FAILHOP_TEST_REDIS_ADDR, from scripts/redis.sh).
func RedisAddr(t testing.TB) string {
	t.Helper()
	return fromEnv(t, "FAILHOP_TEST_REDIS_ADDR", "scripts/redis.sh", "the address")
}

// fromEnv returns the variable's value, or skips the test (fails it when
// CI=true) saying which script starts the server and prints what.
func fromEnv(t testing.TB, variable, script, what string) string {
	t.Helper()
	v := os.Getenv(variable)
	if v == "" {
		msg := variable + " is not set: start a server with " + script + " (at the repository's root) and export " + what + " it prints; make test does"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return v
}
