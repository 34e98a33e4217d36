package analyzer_test

// fixtures are the hand-built traces every analyzer rule is checked on.
var fixtures = []fixture{
	{
		name:  "healthy",
		about: "gateway → orders → payments, all answer 200",
		spans: []fs{
			{id: "root", svc: "gateway", name: "POST /checkout", kind: server, end: 100, attrs: httpServer("/checkout", 200)},
			{id: "c1", parent: "root", svc: "gateway", name: "POST", kind: client, start: 5, end: 90, attrs: httpClient("POST", "http://orders:8080/orders", 200)},
			{id: "s1", parent: "c1", svc: "orders", name: "POST /orders", kind: server, start: 6, end: 89, attrs: httpServer("/orders", 200)},
			{id: "db", parent: "s1", svc: "orders", name: "INSERT orders", kind: client, start: 10, end: 20, attrs: sqlSpan("sqlite", "INSERT", "INSERT INTO orders (item) VALUES (?)")},
		},
		want: Want{Failed: false},
	},
	{
		name:  "panic",
		about: "inventory's handler panics; failhop marks it as the origin with a stack",
		spans: []fs{
			{id: "root", svc: "gateway", name: "GET /items/{id}", kind: server, end: 50, err: true, attrs: with(httpServer("/items/{id}", 500), marks(propagated, cause("panic"), []any{"failhop.origin_span_id", spanID("s1")})...)},
			{id: "c1", parent: "root", svc: "gateway", name: "GET", kind: client, start: 2, end: 45, err: true, attrs: with(httpClient("GET", "http://inventory:8080/items/7", 500), marks(propagated, cause("panic"), []any{"failhop.origin_span_id", spanID("s1")})...)},
			{id: "s1", parent: "c1", svc: "inventory", name: "GET /items/{id}", kind: server, start: 3, end: 44, err: true, exception: "runtime error: index out of range [3] with length 3", attrs: with(httpServer("/items/{id}", 500), marks(origin, cause("panic"), []any{"error.type", "runtime.boundsError"})...)},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "gateway → inventory GET /items/{id}", Cause: "panic", Stack: true}}, Confidence: "high"},
	},
	{
		name:  "db-error",
		about: "inventory's query names a missing table; the server spans propagate it",
		spans: []fs{
			{id: "root", svc: "gateway", name: "GET /items/{id}", kind: server, end: 50, err: true, attrs: with(httpServer("/items/{id}", 502), marks(propagated, cause("db_error"))...)},
			{id: "c1", parent: "root", svc: "gateway", name: "GET", kind: client, start: 2, end: 45, err: true, attrs: with(httpClient("GET", "http://inventory:8080/items/7", 500), marks(propagated, cause("db_error"))...)},
			{id: "s1", parent: "c1", svc: "inventory", name: "GET /items/{id}", kind: server, start: 3, end: 44, err: true, exception: "inventory: load stock: no such table: stock", attrs: with(httpServer("/items/{id}", 500), marks(propagated, cause("db_error"))...)},
			{id: "db", parent: "s1", svc: "inventory", name: "SELECT stock", kind: client, start: 5, end: 8, err: true, attrs: with(sqlSpan("sqlite", "SELECT", "SELECT qty FROM stock WHERE item = ?"), marks(origin, cause("db_error"), []any{"db.response.status_code", "1"})...)},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "inventory → sqlite SELECT stock", Cause: "db_error", Stack: true}}, Confidence: "high"},
	},
	{
		name:  "db-unavailable",
		about: "inventory cannot connect to PostgreSQL",
		spans: []fs{
			{id: "root", svc: "inventory", name: "GET /items/{id}", kind: server, end: 30, err: true, attrs: with(httpServer("/items/{id}", 500), marks(propagated, cause("db_unavailable"))...)},
			{id: "db", parent: "root", svc: "inventory", name: "connect", kind: client, start: 2, end: 4, err: true, attrs: with(sqlSpan("postgresql", "connect", ""), marks(origin, cause("db_unavailable"))...)},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "inventory → postgresql connect", Cause: "db_unavailable"}}, Confidence: "high"},
	},
	{
		name:  "peer-unreachable",
		about: "orders calls payments, which is down: connection refused, no server span",
		spans: []fs{
			{id: "root", svc: "orders", name: "POST /orders", kind: server, end: 20, err: true, attrs: with(httpServer("/orders", 502), marks(propagated, cause("peer_unreachable"))...)},
			{id: "c1", parent: "root", svc: "orders", name: "POST", kind: client, start: 2, end: 3, err: true, attrs: with(httpClient("POST", "http://payments:8080/charge", 0), marks(origin, cause("peer_unreachable"), []any{"error.type", "connection_refused"})...)},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "orders → payments:8080 POST /charge", Cause: "peer_unreachable"}}, Confidence: "high"},
	},
	{
		name:  "upstream-rejected",
		about: "orders sends a wrong API key: payments answers 401, orders answers 500",
		spans: []fs{
			{id: "root", svc: "orders", name: "POST /orders", kind: server, end: 20, err: true, attrs: with(httpServer("/orders", 500), marks(propagated, cause("upstream_rejected"))...)},
			{id: "c1", parent: "root", svc: "orders", name: "POST", kind: client, start: 2, end: 10, err: true, attrs: with(httpClient("POST", "http://payments:8080/charge", 401), marks(origin, cause("upstream_rejected"))...)},
			{id: "s1", parent: "c1", svc: "payments", name: "POST /charge", kind: server, start: 3, end: 9, attrs: httpServer("/charge", 401)},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "orders → payments POST /charge", Cause: "upstream_rejected"}}, Confidence: "high"},
	},
	{
		name:  "retry-recovered",
		about: "payments fails once, the retry succeeds: the request succeeds, the error is non-fatal",
		spans: []fs{
			{id: "root", svc: "orders", name: "POST /orders", kind: server, end: 60, attrs: httpServer("/orders", 201)},
			{id: "c1", parent: "root", svc: "orders", name: "POST", kind: client, start: 2, end: 10, err: true, attrs: with(httpClient("POST", "http://payments:8080/charge", 503), marks(propagated, cause("app_error"))...)},
			{id: "s1", parent: "c1", svc: "payments", name: "POST /charge", kind: server, start: 3, end: 9, err: true, attrs: with(httpServer("/charge", 503), marks(origin, cause("app_error"))...)},
			{id: "c2", parent: "root", svc: "orders", name: "POST", kind: client, start: 20, end: 50, attrs: httpClient("POST", "http://payments:8080/charge", 200)},
			{id: "s2", parent: "c2", svc: "payments", name: "POST /charge", kind: server, start: 21, end: 49, attrs: httpServer("/charge", 200)},
		},
		want: Want{Failed: false, NonFatal: 1},
	},
	{
		name:  "retry-exhausted",
		about: "both attempts to payments time out: one hop, seen twice",
		spans: []fs{
			{id: "root", svc: "orders", name: "POST /orders", kind: server, end: 2100, err: true, attrs: with(httpServer("/orders", 504), marks(propagated, cause("timeout"))...)},
			{id: "c1", parent: "root", svc: "orders", name: "POST", kind: client, start: 2, end: 1002, err: true, attrs: with(httpClient("POST", "http://payments:8080/charge", 0), marks(origin, cause("timeout"), []any{"error.type", "timeout"})...)},
			{id: "c2", parent: "root", svc: "orders", name: "POST", kind: client, start: 1010, end: 2010, err: true, attrs: with(httpClient("POST", "http://payments:8080/charge", 0), marks(origin, cause("timeout"), []any{"error.type", "timeout"})...)},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "orders → payments:8080 POST /charge", Cause: "timeout", Count: 2}}, Confidence: "medium"},
	},
	{
		name:  "fan-out-two-failures",
		about: "gateway calls orders and inventory in parallel; both fail, for different reasons",
		spans: []fs{
			{id: "root", svc: "gateway", name: "GET /checkout", kind: server, end: 100, err: true, attrs: with(httpServer("/checkout", 502), marks(propagated, cause("db_error"))...)},
			{id: "c1", parent: "root", svc: "gateway", name: "GET", kind: client, start: 2, end: 40, err: true, attrs: with(httpClient("GET", "http://inventory:8080/items/7", 500), marks(propagated, cause("db_error"))...)},
			{id: "s1", parent: "c1", svc: "inventory", name: "GET /items/{id}", kind: server, start: 3, end: 39, err: true, attrs: with(httpServer("/items/{id}", 500), marks(propagated, cause("db_error"))...)},
			{id: "db", parent: "s1", svc: "inventory", name: "SELECT stock", kind: client, start: 5, end: 30, err: true, attrs: with(sqlSpan("postgresql", "SELECT", "SELECT qty FROM stock WHERE item = $1"), marks(origin, cause("db_error"), []any{"db.response.status_code", "42703"})...)},
			{id: "c2", parent: "root", svc: "gateway", name: "POST", kind: client, start: 2, end: 60, err: true, attrs: with(httpClient("POST", "http://orders:8080/orders", 500), marks(propagated, cause("peer_unreachable"))...)},
			{id: "s2", parent: "c2", svc: "orders", name: "POST /orders", kind: server, start: 3, end: 59, err: true, attrs: with(httpServer("/orders", 502), marks(propagated, cause("peer_unreachable"))...)},
			{id: "c3", parent: "s2", svc: "orders", name: "POST", kind: client, start: 10, end: 50, err: true, attrs: with(httpClient("POST", "http://payments:8080/charge", 0), marks(origin, cause("peer_unreachable"))...)},
		},
		want: Want{Failed: true, Hops: []WantHop{
			{Description: "inventory → postgresql SELECT stock", Cause: "db_error"},
			{Description: "orders → payments:8080 POST /charge", Cause: "peer_unreachable"},
		}, Confidence: "high"},
	},
	{
		name:  "timeout-slow-query",
		about: "orders gives up on inventory after 500ms; inventory's query took 2s and shows no error",
		spans: []fs{
			{id: "root", svc: "orders", name: "POST /orders", kind: server, end: 520, err: true, attrs: with(httpServer("/orders", 504), marks(propagated, cause("timeout"))...)},
			{id: "c1", parent: "root", svc: "orders", name: "GET", kind: client, start: 10, end: 510, err: true, attrs: with(httpClient("GET", "http://inventory:8080/items/7", 0), marks(origin, cause("timeout"), []any{"error.type", "timeout"})...)},
			{id: "s1", parent: "c1", svc: "inventory", name: "GET /items/{id}", kind: server, start: 12, end: 2020, attrs: httpServer("/items/{id}", 200)},
			{id: "q1", parent: "s1", svc: "inventory", name: "SELECT items", kind: client, start: 13, end: 15, attrs: sqlSpan("postgresql", "SELECT", "SELECT name FROM items WHERE id = $1")},
			{id: "q2", parent: "s1", svc: "inventory", name: "SELECT stock", kind: client, start: 16, end: 2016, attrs: sqlSpan("postgresql", "SELECT", "SELECT qty FROM stock WHERE item = $1 FOR UPDATE")},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "inventory → postgresql SELECT stock", Cause: "timeout"}}, Confidence: "low"},
	},
	{
		name:  "timeout-slow-query-canceled",
		about: "as timeout-slow-query, but inventory's query is canceled when orders hangs up: medium confidence",
		spans: []fs{
			{id: "root", svc: "orders", name: "POST /orders", kind: server, end: 520, err: true, attrs: with(httpServer("/orders", 504), marks(propagated, cause("timeout"))...)},
			{id: "c1", parent: "root", svc: "orders", name: "GET", kind: client, start: 10, end: 510, err: true, attrs: with(httpClient("GET", "http://inventory:8080/items/7", 0), marks(origin, cause("timeout"))...)},
			{id: "s1", parent: "c1", svc: "inventory", name: "GET /items/{id}", kind: server, start: 12, end: 515, err: true, attrs: with(httpServer("/items/{id}", 500), marks(propagated, cause("canceled"))...)},
			{id: "q2", parent: "s1", svc: "inventory", name: "SELECT stock", kind: client, start: 16, end: 512, attrs: with(sqlSpan("sqlite", "SELECT", "SELECT qty FROM stock WHERE item = ?"), marks(origin, cause("canceled"))...)},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "inventory → sqlite SELECT stock", Cause: "timeout"}}, Confidence: "medium"},
	},
	{
		name:  "timeout-callee-silent",
		about: "orders times out calling a service that sent no spans",
		spans: []fs{
			{id: "root", svc: "orders", name: "POST /orders", kind: server, end: 1020, err: true, attrs: httpServer("/orders", 500)},
			{id: "c1", parent: "root", svc: "orders", name: "POST", kind: client, start: 10, end: 1010, err: true, attrs: with(httpClient("POST", "http://fraud-check:9000/score", 0), "error.type", "timeout")},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "orders → fraud-check:9000 POST /score", Cause: "timeout"}}, Confidence: "medium"},
	},
	{
		name:  "async-consumer-error",
		about: "the request fails on a DB error; a consumer of its message also fails, asynchronously",
		spans: []fs{
			{id: "root", svc: "orders", name: "POST /orders", kind: server, end: 40, err: true, attrs: with(httpServer("/orders", 500), marks(propagated, cause("db_error"))...)},
			{id: "p1", parent: "root", svc: "orders", name: "publish order.created", kind: producer, start: 2, end: 4, attrs: map[string]any{"messaging.system": "kafka"}},
			{id: "m1", parent: "p1", svc: "mailer", name: "process order.created", kind: consumer, start: 30, end: 90, err: true, exception: "smtp: 421 try later", followsFrom: true},
			{id: "db", parent: "root", svc: "orders", name: "INSERT orders", kind: client, start: 5, end: 9, err: true, attrs: with(sqlSpan("postgresql", "INSERT", "INSERT INTO orders (item, qty) VALUES ($1, $2)"), marks(origin, cause("db_error"), []any{"db.response.status_code", "23505"})...)},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "orders → postgresql INSERT orders", Cause: "db_error"}}, NonFatal: 1, Confidence: "high"},
	},
	{
		name:  "async-only-error",
		about: "the request succeeds; only an asynchronous consumer fails",
		spans: []fs{
			{id: "root", svc: "orders", name: "POST /orders", kind: server, end: 40, attrs: httpServer("/orders", 201)},
			{id: "p1", parent: "root", svc: "orders", name: "publish order.created", kind: producer, start: 2, end: 4},
			{id: "m1", parent: "p1", svc: "mailer", name: "process order.created", kind: consumer, start: 30, end: 90, err: true, followsFrom: true},
		},
		want: Want{Failed: false, NonFatal: 1},
	},
	{
		name:  "proxy-502-unreachable",
		about: "a proxy without failhop answers 502 because its backend refused the connection",
		spans: []fs{
			{id: "root", svc: "edge-proxy", name: "ingress", kind: server, end: 15, attrs: with(httpServer("/api/orders", 502), "http.route", "/api/*")},
			{id: "c1", parent: "root", svc: "edge-proxy", name: "router orders egress", kind: client, start: 1, end: 2, err: true, attrs: with(httpClient("GET", "http://orders.internal:8080/api/orders", 0), "peer.service", "orders")},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "edge-proxy → orders GET /api/orders", Cause: "peer_unreachable"}}, Confidence: "medium"},
	},
	{
		name:  "proxy-502-bad-upstream",
		about: "a proxy answers 502 on its own: the upstream answer was unusable",
		spans: []fs{
			{id: "root", svc: "edge-proxy", name: "ingress", kind: server, end: 15, err: true, attrs: httpServer("/api/orders", 502)},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "edge-proxy ingress", Cause: "bad_response"}}, Confidence: "medium"},
	},
	{
		name:  "missing-root",
		about: "the root span never arrived: the analysis starts at the earliest orphan",
		spans: []fs{
			{id: "s1", parent: "lost", svc: "orders", name: "POST /orders", kind: server, start: 3, end: 30, err: true, attrs: with(httpServer("/orders", 500), marks(propagated, cause("db_error"))...)},
			{id: "db", parent: "s1", svc: "orders", name: "INSERT orders", kind: client, start: 5, end: 9, err: true, attrs: with(sqlSpan("postgresql", "INSERT", "INSERT INTO orders (item) VALUES ($1)"), marks(origin, cause("db_error"))...)},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "orders → postgresql INSERT orders", Cause: "db_error"}}, Confidence: "low", Notes: 1},
	},
	{
		name:  "missing-middle",
		about: "a span in the middle is lost: the part below it is an orphan, the answer is low-confidence",
		spans: []fs{
			{id: "root", svc: "gateway", name: "GET /checkout", kind: server, end: 100, err: true, attrs: httpServer("/checkout", 500)},
			{id: "c1", parent: "root", svc: "gateway", name: "GET", kind: client, start: 2, end: 90, err: true, attrs: httpClient("GET", "http://orders:8080/orders", 500)},
			{id: "db", parent: "lost", svc: "orders", name: "SELECT orders", kind: client, start: 5, end: 9, err: true, attrs: with(sqlSpan("postgresql", "SELECT", "SELECT 1"), marks(origin, cause("db_error"))...)},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "gateway → orders:8080 GET /orders", Cause: "upstream_error"}}, NonFatal: 1, Confidence: "low", Notes: 1},
	},
	{
		name:  "missing-server-side",
		about: "orders got a 500 from a service that is not instrumented",
		spans: []fs{
			{id: "root", svc: "orders", name: "POST /orders", kind: server, end: 40, err: true, attrs: httpServer("/orders", 500)},
			{id: "c1", parent: "root", svc: "orders", name: "POST", kind: client, start: 2, end: 30, err: true, attrs: httpClient("POST", "http://legacy-billing:8080/invoice", 500)},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "orders → legacy-billing:8080 POST /invoice", Cause: "upstream_error"}}, Confidence: "medium"},
	},
	{
		name:  "legacy-error-tag",
		about: "OpenTracing-style spans: error=true tags, http.status_code, no OTel status",
		spans: []fs{
			{id: "root", svc: "frontend", name: "HTTP GET /cart", kind: server, end: 40, attrs: map[string]any{"error": true, "http.status_code": int64(500), "http.method": "GET"}},
			{id: "c1", parent: "root", svc: "frontend", name: "HTTP GET", kind: client, start: 2, end: 30, attrs: map[string]any{"error": true, "http.status_code": int64(500), "http.method": "GET", "http.url": "http://cart:7070/cart?user=42"}},
			{id: "s1", parent: "c1", svc: "cart", name: "HTTP GET /cart", kind: server, start: 3, end: 29, exception: "redis: connection pool timeout", attrs: map[string]any{"error": true, "http.status_code": int64(500)}},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "frontend → cart HTTP GET /cart", Cause: "timeout", Stack: true}}, Confidence: "medium"},
	},
	{
		name:  "otel-db-error-no-marks",
		about: "plain OpenTelemetry instrumentation, no failhop: a PostgreSQL error code names the cause",
		spans: []fs{
			{id: "root", svc: "inventory", name: "GET /items/{id}", kind: server, end: 30, err: true, attrs: httpServer("/items/{id}", 500)},
			{id: "db", parent: "root", svc: "inventory", name: "SELECT inventory.stock", kind: client, start: 2, end: 6, err: true, attrs: with(sqlSpan("postgresql", "SELECT", "SELECT qty FROM stock WHERE item = $1"), "db.response.status_code", "42P01", "error.type", "42P01")},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "inventory → postgresql SELECT inventory.stock", Cause: "db_error"}}, Confidence: "medium"},
	},
	{
		name:  "grpc-unavailable",
		about: "a gRPC call fails with UNAVAILABLE: the peer is unreachable",
		spans: []fs{
			{id: "root", svc: "checkout", name: "POST /pay", kind: server, end: 30, err: true, attrs: httpServer("/pay", 500)},
			{id: "c1", parent: "root", svc: "checkout", name: "payment.Payments/Charge", kind: client, start: 2, end: 5, err: true, attrs: map[string]any{"rpc.system": "grpc", "rpc.grpc.status_code": int64(14), "server.address": "payments"}},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "checkout → payments payment.Payments/Charge", Cause: "peer_unreachable"}}, Confidence: "medium"},
	},
	{
		name:  "swallowed-error",
		about: "the request fails on inventory; a cache miss error inside a successful lookup was swallowed",
		spans: []fs{
			{id: "root", svc: "orders", name: "POST /orders", kind: server, end: 60, err: true, attrs: with(httpServer("/orders", 500), marks(propagated, cause("db_error"))...)},
			{id: "lookup", parent: "root", svc: "orders", name: "price lookup", kind: internal, start: 2, end: 20},
			{id: "cache", parent: "lookup", svc: "orders", name: "GET price", kind: client, start: 3, end: 5, err: true, attrs: map[string]any{"db.system.name": "redis", "error.type": "redis.Nil"}},
			{id: "db", parent: "root", svc: "orders", name: "INSERT orders", kind: client, start: 30, end: 35, err: true, attrs: with(sqlSpan("postgresql", "INSERT", "INSERT INTO orders (item) VALUES ($1)"), marks(origin, cause("db_error"))...)},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "orders → postgresql INSERT orders", Cause: "db_error"}}, NonFatal: 1, Confidence: "high"},
	},
	{
		name:  "clock-skew",
		about: "the callee's clock runs 80ms early: the answer stands, with a note and medium confidence",
		spans: []fs{
			{id: "root", svc: "orders", name: "POST /orders", kind: server, start: 100, end: 200, err: true, attrs: with(httpServer("/orders", 502), marks(propagated, cause("panic"))...)},
			{id: "c1", parent: "root", svc: "orders", name: "POST", kind: client, start: 110, end: 190, err: true, attrs: with(httpClient("POST", "http://payments:8080/charge", 500), marks(propagated, cause("panic"))...)},
			{id: "s1", parent: "c1", svc: "payments", name: "POST /charge", kind: server, start: 30, end: 100, err: true, exception: "assignment to entry in nil map", attrs: with(httpServer("/charge", 500), marks(origin, cause("panic"))...)},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "orders → payments POST /charge", Cause: "panic", Stack: true}}, Confidence: "medium", Notes: 1},
	},
	{
		name:  "origin-behind-unmarked-span",
		about: "an internal span between the handler and the failed query is not marked: failhop.origin_span_id leads past it",
		spans: []fs{
			{id: "root", svc: "inventory", name: "GET /items/{id}", kind: server, end: 30, err: true, attrs: with(httpServer("/items/{id}", 500), marks(propagated, cause("db_error"), []any{"failhop.origin_span_id", spanID("db")})...)},
			{id: "repo", parent: "root", svc: "inventory", name: "StockRepository.Load", kind: internal, start: 2, end: 20},
			{id: "db", parent: "repo", svc: "inventory", name: "SELECT stock", kind: client, start: 3, end: 6, err: true, attrs: with(sqlSpan("sqlite", "SELECT", "SELECT qty FROM stock WHERE item = ?"), marks(origin, cause("db_error"))...)},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "inventory → sqlite SELECT stock", Cause: "db_error"}}, Confidence: "high"},
	},
	{
		name:  "bad-deploy",
		about: "inventory 2.0.0 queries a column that does not exist; the version is reported",
		spans: []fs{
			{id: "root", svc: "gateway", name: "GET /items/{id}", kind: server, end: 50, err: true, version: "1.3.0", attrs: with(httpServer("/items/{id}", 502), marks(propagated, cause("db_error"))...)},
			{id: "c1", parent: "root", svc: "gateway", name: "GET", kind: client, start: 2, end: 45, err: true, version: "1.3.0", attrs: with(httpClient("GET", "http://inventory:8080/items/7", 500), marks(propagated, cause("db_error"))...)},
			{id: "s1", parent: "c1", svc: "inventory", name: "GET /items/{id}", kind: server, start: 3, end: 44, err: true, version: "2.0.0", attrs: with(httpServer("/items/{id}", 500), marks(propagated, cause("db_error"))...)},
			{id: "db", parent: "s1", svc: "inventory", name: "SELECT stock", kind: client, start: 5, end: 8, err: true, version: "2.0.0", attrs: with(sqlSpan("sqlite", "SELECT", "SELECT qty, reserved FROM stock WHERE item = ?"), marks(origin, cause("db_error"))...)},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "inventory → sqlite SELECT stock", Cause: "db_error", ServiceVersion: "2.0.0"}}, Confidence: "high"},
	},
	{
		name:  "bad-response",
		about: "payments answers 200 with a malformed body; orders marks bad_response and answers 502",
		spans: []fs{
			{id: "root", svc: "orders", name: "POST /orders", kind: server, end: 40, err: true, exception: "payments: decode reply: invalid character '<'", attrs: with(httpServer("/orders", 502), marks(origin, cause("bad_response"))...)},
			{id: "c1", parent: "root", svc: "orders", name: "POST", kind: client, start: 2, end: 30, attrs: httpClient("POST", "http://payments:8080/charge", 200)},
			{id: "s1", parent: "c1", svc: "payments", name: "POST /charge", kind: server, start: 3, end: 29, attrs: httpServer("/charge", 200)},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "orders → payments POST /charge", Cause: "bad_response", Stack: true}}, Confidence: "high"},
	},
	{
		name:  "pool-exhausted",
		about: "PostgreSQL refuses the connection: too many clients (SQLSTATE 53300)",
		spans: []fs{
			{id: "root", svc: "inventory", name: "GET /items/{id}", kind: server, end: 30, err: true, attrs: httpServer("/items/{id}", 500)},
			{id: "db", parent: "root", svc: "inventory", name: "connect", kind: client, start: 2, end: 4, err: true, attrs: with(sqlSpan("postgresql", "connect", ""), "db.response.status_code", "53300")},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "inventory → postgresql connect", Cause: "resource_exhausted"}}, Confidence: "medium"},
	},
	{
		name:  "deep-chain",
		about: "gateway → orders → inventory → PostgreSQL: the origin is three services down",
		spans: []fs{
			{id: "root", svc: "gateway", name: "POST /checkout", kind: server, end: 100, err: true, attrs: with(httpServer("/checkout", 502), marks(propagated, cause("db_unavailable"))...)},
			{id: "c1", parent: "root", svc: "gateway", name: "POST", kind: client, start: 2, end: 95, err: true, attrs: with(httpClient("POST", "http://orders:8080/orders", 500), marks(propagated, cause("db_unavailable"))...)},
			{id: "s1", parent: "c1", svc: "orders", name: "POST /orders", kind: server, start: 3, end: 94, err: true, attrs: with(httpServer("/orders", 500), marks(propagated, cause("db_unavailable"))...)},
			{id: "c2", parent: "s1", svc: "orders", name: "POST", kind: client, start: 5, end: 90, err: true, attrs: with(httpClient("POST", "http://inventory:8080/reserve", 500), marks(propagated, cause("db_unavailable"))...)},
			{id: "s2", parent: "c2", svc: "inventory", name: "POST /reserve", kind: server, start: 6, end: 89, err: true, attrs: with(httpServer("/reserve", 500), marks(propagated, cause("db_unavailable"))...)},
			{id: "db", parent: "s2", svc: "inventory", name: "connect", kind: client, start: 7, end: 80, err: true, attrs: with(sqlSpan("postgresql", "connect", ""), marks(origin, cause("db_unavailable"), []any{"error.type", "*net.OpError"})...)},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "inventory → postgresql connect", Cause: "db_unavailable"}}, Confidence: "high"},
	},
	{
		name:  "handler-app-error",
		about: "orders answers 500 with nothing failing under it: the handler is the origin",
		spans: []fs{
			{id: "root", svc: "gateway", name: "POST /checkout", kind: server, end: 50, err: true, attrs: with(httpServer("/checkout", 502), marks(propagated, cause("app_error"))...)},
			{id: "c1", parent: "root", svc: "gateway", name: "POST", kind: client, start: 2, end: 45, err: true, attrs: with(httpClient("POST", "http://orders:8080/orders", 500), marks(propagated, cause("app_error"))...)},
			{id: "s1", parent: "c1", svc: "orders", name: "POST /orders", kind: server, start: 3, end: 44, err: true, exception: "orders: invalid state transition: shipped -> pending", attrs: with(httpServer("/orders", 500), marks(origin, cause("app_error"))...)},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "gateway → orders POST /orders", Cause: "app_error", Stack: true}}, Confidence: "high"},
	},
}
