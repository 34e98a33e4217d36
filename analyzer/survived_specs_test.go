package analyzer_test

import (
	"slices"
	"testing"

	"github.com/failhop/failhop/analyzer"
)

// The hand-built traces of failures a caller survived (docs/cli.md,
// "Failures the request survived"); the captured ones are in
// ../testdata/traces too.
func init() {
	fixtures = append(fixtures, survivedFixtures...)
}

var survivedFixtures = []fixture{
	{
		name:  "survived-optional-then-essential",
		about: "front asks recs (optional) for suggestions, which fails; it carries on, then payments (essential) fails and front answers 502: payments is the hop, recs' failure was survived",
		spans: []fs{
			{id: "fs", svc: "front", name: "POST /checkout", kind: server, end: 40, err: true, attrs: httpServer("/checkout", 502)},
			{id: "fh", parent: "fs", svc: "front", name: "request handler - /checkout", kind: internal, start: 1, end: 39},
			{id: "c1", parent: "fh", svc: "front", name: "GET", kind: client, start: 2, end: 10, err: true, attrs: httpClient("GET", "http://recs:8080/suggestions", 500)},
			{id: "s1", parent: "c1", svc: "recs", name: "GET /suggestions", kind: server, start: 3, end: 9, err: true, exception: "recs: model not loaded", attrs: httpServer("/suggestions", 500)},
			{id: "c2", parent: "fh", svc: "front", name: "POST", kind: client, start: 12, end: 30, err: true, attrs: httpClient("POST", "http://payments:8080/charge", 500)},
			{id: "s2", parent: "c2", svc: "payments", name: "POST /charge", kind: server, start: 13, end: 29, err: true, exception: "ledger: account 7 is locked", attrs: httpServer("/charge", 500)},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "front → payments POST /charge", Cause: "app_error", SpanID: spanID("s2"), Message: "ledger: account 7 is locked", Stack: true}}, NonFatal: 1, Confidence: "medium"},
	},
	{
		name:  "survived-essential-then-optional",
		about: "payments (essential) fails first; front still asks recs (optional), which fails too, and answers 502 with an error that names payments: payments is the hop",
		spans: []fs{
			{id: "fs", svc: "front", name: "POST /checkout", kind: server, end: 40, err: true, exception: "charge: payments answered 500", attrs: httpServer("/checkout", 502)},
			{id: "c2", parent: "fs", svc: "front", name: "POST", kind: client, start: 2, end: 20, err: true, attrs: httpClient("POST", "http://payments:8080/charge", 500)},
			{id: "s2", parent: "c2", svc: "payments", name: "POST /charge", kind: server, start: 3, end: 19, err: true, exception: "ledger: account 7 is locked", attrs: httpServer("/charge", 500)},
			{id: "c1", parent: "fs", svc: "front", name: "GET", kind: client, start: 22, end: 30, err: true, attrs: httpClient("GET", "http://recs:8080/suggestions", 500)},
			{id: "s1", parent: "c1", svc: "recs", name: "GET /suggestions", kind: server, start: 23, end: 29, err: true, exception: "recs: model not loaded", attrs: httpServer("/suggestions", 500)},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "front → payments POST /charge", Cause: "app_error", SpanID: spanID("s2"), Message: "ledger: account 7 is locked", Stack: true}}, NonFatal: 1, Confidence: "medium"},
	},
	{
		name:  "survived-cache-timeout-own-failure",
		about: "the cache read times out under a cache wrapper span with no status, the database read that replaces it succeeds, and the handler fails for a reason of its own (500): the handler is the origin",
		spans: []fs{
			{id: "fs", svc: "prices", name: "GET /price/{id}", kind: server, end: 60, err: true, attrs: httpServer("/price/{id}", 500)},
			{id: "fh", parent: "fs", svc: "prices", name: "request handler - /price/:id", kind: internal, start: 1, end: 59, err: true, exception: "no price rule for item 42"},
			{id: "cw", parent: "fh", svc: "prices", name: "cache get", kind: internal, start: 2, end: 32},
			{id: "cr", parent: "cw", svc: "prices", name: "GET", kind: client, start: 3, end: 31, err: true, status: "redis: i/o timeout", attrs: map[string]any{"db.system.name": "redis", "db.operation.name": "GET"}},
			{id: "db", parent: "fh", svc: "prices", name: "SELECT prices", kind: client, start: 33, end: 40, attrs: sqlSpan("postgresql", "SELECT", "SELECT amount FROM prices WHERE item = $1")},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "prices: request handler - /price/:id", Cause: "app_error", SpanID: spanID("fh"), Message: "no price rule for item 42", Stack: true}}, NonFatal: 1, Confidence: "medium"},
	},
	{
		name:  "survived-fallback-fails",
		about: "the cache read times out, the database read that replaces it fails too, and the handler answers 500: the database read is the hop, the timeout was survived",
		spans: []fs{
			{id: "fs", svc: "prices", name: "GET /price/{id}", kind: server, end: 60, err: true, attrs: httpServer("/price/{id}", 500)},
			{id: "cw", parent: "fs", svc: "prices", name: "cache get", kind: internal, start: 2, end: 32},
			{id: "cr", parent: "cw", svc: "prices", name: "GET", kind: client, start: 3, end: 31, err: true, status: "redis: i/o timeout", attrs: map[string]any{"db.system.name": "redis", "db.operation.name": "GET"}},
			{id: "db", parent: "fs", svc: "prices", name: "SELECT prices", kind: client, start: 33, end: 40, err: true, exception: "ERROR: relation \"prices\" does not exist", attrs: with(sqlSpan("postgresql", "SELECT", "SELECT amount FROM prices WHERE item = $1"), "db.response.status_code", "42P01")},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "prices → postgresql SELECT prices", Cause: "db_error", SpanID: spanID("db"), Stack: true}}, NonFatal: 1, Confidence: "medium"},
	},
	{
		name:  "survived-not-rollback-after-failure",
		about: "payments fails inside a transaction; the handler rolls the transaction back and answers 500 with a message of its own that does not name payments: the rollback is cleanup, not going on past the failure, so payments stays the hop",
		spans: []fs{
			{id: "fs", svc: "front", name: "POST /checkout", kind: server, end: 40, err: true, exception: "checkout failed", attrs: httpServer("/checkout", 500)},
			{id: "c2", parent: "fs", svc: "front", name: "POST", kind: client, start: 2, end: 20, err: true, attrs: httpClient("POST", "http://payments:8080/charge", 500)},
			{id: "s2", parent: "c2", svc: "payments", name: "POST /charge", kind: server, start: 3, end: 19, err: true, exception: "ledger: account 7 is locked", attrs: httpServer("/charge", 500)},
			{id: "rb", parent: "fs", svc: "front", name: "ROLLBACK", kind: client, start: 21, end: 23, attrs: sqlSpan("postgresql", "ROLLBACK", "ROLLBACK")},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "front → payments POST /charge", Cause: "app_error", SpanID: spanID("s2"), Message: "ledger: account 7 is locked", Stack: true}}, Confidence: "medium"},
	},
	{
		name:  "survived-not-publish-after-failure",
		about: "payments fails; the handler publishes order.failed and answers 500 with a message of its own that does not name payments: the publish is what it does because the call failed, so payments stays the hop",
		spans: []fs{
			{id: "fs", svc: "front", name: "POST /checkout", kind: server, end: 40, err: true, exception: "checkout failed", attrs: httpServer("/checkout", 500)},
			{id: "c2", parent: "fs", svc: "front", name: "POST", kind: client, start: 2, end: 20, err: true, attrs: httpClient("POST", "http://payments:8080/charge", 500)},
			{id: "s2", parent: "c2", svc: "payments", name: "POST /charge", kind: server, start: 3, end: 19, err: true, exception: "ledger: account 7 is locked", attrs: httpServer("/charge", 500)},
			{id: "pb", parent: "fs", svc: "front", name: "order.failed publish", kind: producer, start: 21, end: 23, attrs: map[string]any{"messaging.system": "rabbitmq", "messaging.operation.type": "send", "messaging.destination.name": "order.failed"}},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "front → payments POST /charge", Cause: "app_error", SpanID: spanID("s2"), Message: "ledger: account 7 is locked", Stack: true}}, Confidence: "medium"},
	},
}

// TestSurvivedReason checks that a survived failure says why it was
// survived among the errors the request survived.
func TestSurvivedReason(t *testing.T) {
	for name, want := range map[string]string{
		"survived-optional-then-essential":   "survived: front went on to call payments POST /charge after it",
		"survived-essential-then-optional":   "survived: front's answer names another failure",
		"survived-cache-timeout-own-failure": "survived: prices went on to other calls after it, and then failed on its own",
	} {
		i := slices.IndexFunc(survivedFixtures, func(f fixture) bool { return f.name == name })
		r := analyzer.Analyze(survivedFixtures[i].build())
		if len(r.NonFatal) != 1 || r.NonFatal[0].Reason != want {
			t.Errorf("%s: errors survived %+v, want one with reason %q", name, r.NonFatal, want)
		}
	}
}
