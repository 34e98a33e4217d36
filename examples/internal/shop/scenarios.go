package shop

import (
	"context"
	"net/url"
)

// A Scenario is one way the shop breaks: how to break it, the request that
// shows it, what the user gets, what the analyzer should say, and how to
// repair it.
type Scenario struct {
	Name    string
	Summary string
	// Item is the item of the checkout request: GET /checkout?item=Item.
	Item int
	// Break puts the fault in place (nil: none needed); Fix restores the
	// healthy shop.
	Break, Fix func(context.Context, *Shop) error

	// WantStatus is the gateway's answer.
	WantStatus int
	// WantHop and WantCause are the analyzer's first failing hop
	// (Hop.Description) and its cause; empty when the request succeeds.
	WantHop, WantCause string
	// WantVersion is the service.version of the failing hop, when it matters.
	WantVersion string
	// WantNonFatal says the trace has an error the request survived.
	WantNonFatal bool
}

func restart(service string, env ...string) func(context.Context, *Shop) error {
	return func(ctx context.Context, s *Shop) error { return s.Restart(ctx, service, env...) }
}

func stop(service string) func(context.Context, *Shop) error {
	return func(ctx context.Context, s *Shop) error { return s.Stop(service) }
}

// Scenarios are the demo's failures, plus the healthy baseline. WantHop
// uses "DB" for the database system name (sqlite or postgresql).
var Scenarios = []Scenario{
	{
		Name: "healthy", Summary: "everything works: 200, no failing hop",
		Item: 1, WantStatus: 200,
	},
	{
		Name: "panic", Summary: "item 13 hits a nil-map bug in inventory",
		Item: 13, WantStatus: 502,
		WantHop: "gateway → inventory GET /items/{id}", WantCause: "panic",
	},
	{
		Name: "bad-config", Summary: "orders started with a wrong PAYMENTS_API_KEY: payments answers 401",
		Item: 1, WantStatus: 502,
		Break: restart("orders", "PAYMENTS_API_KEY=wrong-key"), Fix: restart("orders"),
		WantHop: "orders → payments POST /charge", WantCause: "upstream_rejected",
	},
	{
		Name: "dependency-down", Summary: "payments is stopped: orders' calls are refused",
		Item: 1, WantStatus: 502,
		Break: stop("payments"), Fix: restart("payments"),
		// No payments span exists: the peer is named by orders' client
		// (instrument.WithPeerService).
		WantHop: "orders → payments POST /charge", WantCause: "peer_unreachable",
	},
	{
		Name: "db-down", Summary: "inventory restarted with a database it cannot reach",
		Item: 1, WantStatus: 502,
		Break: func(ctx context.Context, s *Shop) error {
			return s.Restart(ctx, "inventory", "DATABASE_URL="+s.unreachableDatabaseURL())
		},
		Fix:     restart("inventory"),
		WantHop: "inventory → DB", WantCause: "db_unavailable",
	},
	{
		Name: "slow-db", Summary: "inventory's stock query takes 1s: orders gives up after 500ms",
		Item: 1, WantStatus: 504,
		Break: restart("inventory", "INVENTORY_SLOW_QUERY=1s"), Fix: restart("inventory"),
		WantHop: "inventory → DB", WantCause: "timeout",
	},
	{
		Name: "bad-gateway", Summary: "payments answers a truncated body: orders cannot decode it",
		Item: 1, WantStatus: 502,
		Break: restart("payments", "PAYMENTS_BREAK_BODY=1"), Fix: restart("payments"),
		WantHop: "orders → payments POST /charge", WantCause: "bad_response",
	},
	{
		Name: "bad-deploy", Summary: "inventory 2.0.0 queries a column that does not exist",
		Item: 1, WantStatus: 502,
		Break: restart("inventory", "SERVICE_VERSION=2.0.0", "INVENTORY_V2_QUERY=1"), Fix: restart("inventory"),
		WantHop: "inventory → DB", WantCause: "db_error", WantVersion: "2.0.0",
	},
	{
		Name: "grpc-panic", Summary: "shipping 1.1.0 panics on a nil map: orders' gRPC call gets INTERNAL",
		Item: 1, WantStatus: 502,
		Break: restart("shipping", "SERVICE_VERSION=1.1.0", "SHIPPING_PANIC=1"), Fix: restart("shipping"),
		WantHop: "orders → shipping", WantCause: "panic", WantVersion: "1.1.0",
	},
	{
		Name: "grpc-down", Summary: "shipping is stopped: orders' gRPC calls find no server",
		Item: 1, WantStatus: 502,
		Break: stop("shipping"), Fix: restart("shipping"),
		WantHop: "orders → shipping", WantCause: "peer_unreachable",
	},
	{
		Name: "retry-recovered", Summary: "payments fails the first attempt: orders retries, the user gets 200",
		Item: 1, WantStatus: 200,
		Break: restart("payments", "PAYMENTS_FAIL_FIRST=1"), Fix: restart("payments"),
		WantNonFatal: true,
	},
}

// ScenarioByName returns the scenario called name.
func ScenarioByName(name string) (Scenario, bool) {
	for _, sc := range Scenarios {
		if sc.Name == name {
			return sc, true
		}
	}
	return Scenario{}, false
}

// DBSystem is the db.system.name of the shop's database: "postgresql" or
// "sqlite".
func (s *Shop) DBSystem() string {
	if s.cfg.DatabaseURL != "" {
		return "postgresql"
	}
	return "sqlite"
}

// unreachableDatabaseURL is the shop's database at an address where
// nothing answers.
func (s *Shop) unreachableDatabaseURL() string {
	if s.cfg.DatabaseURL == "" {
		return "file:/nonexistent/failhop/inventory.db?mode=ro"
	}
	u, err := url.Parse(s.cfg.DatabaseURL)
	if err != nil {
		return "postgres://127.0.0.1:1/none"
	}
	u.Host = "127.0.0.1:1" // nothing listens on port 1
	return u.String()
}
