// Package integration holds failhop's tests against real databases and
// drivers, and against the routers and their own OpenTelemetry middleware
// (otelgin, otelmux, otelecho, otelchi): benchmarks, the check that a user
// of package instrument downloads no router, and otel-only router traces
// through the real collector (bin/jaeger, bin/failhop-collector and
// bin/failhop, which make test builds). It is a module of its own so that
// the drivers and routers stay out of the dependencies of
// github.com/failhop/failhop.
//
// The PostgreSQL tests need a server: start one with scripts/postgres.sh and
// pass its DSN in FAILHOP_TEST_POSTGRES_DSN:
//
//	export FAILHOP_TEST_POSTGRES_DSN="$(../scripts/postgres.sh)"
//	go test ./...
//
// Without it they are skipped, except when CI=true, where they fail.
package integration
