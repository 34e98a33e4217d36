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
		want: Want{Failed: true, Hops: []WantHop{{Description: "orders → payments:8080 POST", Cause: "peer_unreachable"}}, Confidence: "high"},
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
		want: Want{Failed: true, Hops: []WantHop{{Description: "orders → payments:8080 POST", Cause: "timeout", SpanID: spanID("c2"), Count: 2, Attempts: 2}}, Confidence: "medium"},
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
			{Description: "orders → payments:8080 POST", Cause: "peer_unreachable"},
		}, Confidence: "high"},
	},
	{
		name:  "timeout-slow-query",
		about: "orders gives up on inventory after 500ms; inventory, which outlived the call, spent 2s in a query that shows no error",
		spans: []fs{
			{id: "root", svc: "orders", name: "POST /orders", kind: server, end: 520, err: true, attrs: with(httpServer("/orders", 504), marks(propagated, cause("timeout"))...)},
			{id: "c1", parent: "root", svc: "orders", name: "GET", kind: client, start: 10, end: 510, err: true, attrs: with(httpClient("GET", "http://inventory:8080/items/7", 0), marks(origin, cause("timeout"), []any{"error.type", "timeout"})...)},
			{id: "s1", parent: "c1", svc: "inventory", name: "GET /items/{id}", kind: server, start: 12, end: 2020, attrs: httpServer("/items/{id}", 200)},
			{id: "q1", parent: "s1", svc: "inventory", name: "SELECT items", kind: client, start: 13, end: 15, attrs: sqlSpan("postgresql", "SELECT", "SELECT name FROM items WHERE id = $1")},
			{id: "q2", parent: "s1", svc: "inventory", name: "SELECT stock", kind: client, start: 16, end: 2016, attrs: sqlSpan("postgresql", "SELECT", "SELECT qty FROM stock WHERE item = $1 FOR UPDATE")},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "inventory → postgresql SELECT stock", Cause: "timeout"}}, Confidence: "medium"},
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
		want: Want{Failed: true, Hops: []WantHop{{Description: "orders → fraud-check:9000 POST", Cause: "timeout"}}, Confidence: "medium"},
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
		want: Want{Failed: true, Hops: []WantHop{{Description: "orders → postgresql INSERT orders", Cause: "db_error"}}, NonFatal: 1, Confidence: "high",
			Units: []WantHop{{Description: "orders → mailer process order.created", Cause: "app_error"}}},
	},
	{
		name:  "async-only-error",
		about: "the request succeeds; only an asynchronous consumer fails",
		spans: []fs{
			{id: "root", svc: "orders", name: "POST /orders", kind: server, end: 40, attrs: httpServer("/orders", 201)},
			{id: "p1", parent: "root", svc: "orders", name: "publish order.created", kind: producer, start: 2, end: 4},
			{id: "m1", parent: "p1", svc: "mailer", name: "process order.created", kind: consumer, start: 30, end: 90, err: true, followsFrom: true},
		},
		want: Want{Failed: false, NonFatal: 1, Units: []WantHop{{Description: "orders → mailer process order.created", Cause: "app_error"}}},
	},
	{
		name:  "queue-rpc-consumer-throws",
		about: "front publishes a request to pricer's queue with a reply queue and waits; pricer's consumer throws, replies with the error and nacks; front answers 502 after the reply: the consumer is the origin",
		spans: []fs{
			{id: "root", svc: "front", name: "GET /price", kind: server, end: 60, err: true, attrs: httpServer("/price", 502)},
			{id: "p1", parent: "root", svc: "front", name: "publish <default>", kind: producer, start: 2, end: 3, attrs: amqp("pricer")},
			{id: "m1", parent: "p1", svc: "pricer", name: "pricer process", kind: consumer, start: 10, end: 40, err: true, exception: "no tariff for item 42", attrs: amqp("pricer")},
			{id: "p2", parent: "m1", svc: "pricer", name: "publish <default>", kind: producer, start: 35, end: 36, attrs: amqp("amq.gen-reply")},
			{id: "m2", parent: "p2", svc: "front", name: "amq.gen-reply process", kind: consumer, start: 45, end: 46, attrs: amqp("amq.gen-reply")},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "front → pricer pricer process", Cause: "app_error", SpanID: spanID("m1"), Message: "no tariff for item 42", Stack: true}}, Confidence: "medium"},
	},
	{
		name:  "queue-rpc-fallback",
		about: "as queue-rpc-consumer-throws, but front falls back to a default price and answers 200: the consumer's failure was survived",
		spans: []fs{
			{id: "root", svc: "front", name: "GET /price", kind: server, end: 60, attrs: httpServer("/price", 200)},
			{id: "p1", parent: "root", svc: "front", name: "publish <default>", kind: producer, start: 2, end: 3, attrs: amqp("pricer")},
			{id: "m1", parent: "p1", svc: "pricer", name: "pricer process", kind: consumer, start: 10, end: 40, err: true, exception: "no tariff for item 42", attrs: amqp("pricer")},
			{id: "p2", parent: "m1", svc: "pricer", name: "publish <default>", kind: producer, start: 35, end: 36, attrs: amqp("amq.gen-reply")},
			{id: "m2", parent: "p2", svc: "front", name: "amq.gen-reply process", kind: consumer, start: 45, end: 46, attrs: amqp("amq.gen-reply")},
		},
		want: Want{Failed: false, NonFatal: 1},
	},
	{
		name:  "queue-rpc-no-reply",
		about: "front publishes to pricer's queue and answers 504 on its own; pricer's consumer runs inside front's span and fails, but no reply reached front: the consumer is a unit of its own, and front's own answer is the origin",
		spans: []fs{
			{id: "root", svc: "front", name: "GET /price", kind: server, end: 60, err: true, attrs: httpServer("/price", 504)},
			{id: "p1", parent: "root", svc: "front", name: "publish <default>", kind: producer, start: 2, end: 3, attrs: amqp("pricer")},
			{id: "m1", parent: "p1", svc: "pricer", name: "pricer process", kind: consumer, start: 10, end: 40, err: true, attrs: amqp("pricer")},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "front GET /price", Cause: "timeout"}}, NonFatal: 1, Confidence: "medium",
			Units: []WantHop{{Description: "front → pricer pricer process", Cause: "app_error"}}},
	},
	{
		name:  "queue-consumer-downstream-500",
		about: "front publishes an order and answers 202; fulfil's consumer calls stock, which answers 500 on a DB error, and nacks: the request succeeded, the unit of work failed at stock's query",
		spans: []fs{
			{id: "root", svc: "front", name: "POST /orders", kind: server, end: 20, attrs: httpServer("/orders", 202)},
			{id: "p1", parent: "root", svc: "front", name: "publish orders", kind: producer, start: 2, end: 3, attrs: amqp("orders")},
			{id: "m1", parent: "p1", svc: "fulfil", name: "orders process", kind: consumer, start: 30, end: 80, err: true, status: "nack called on message without requeue", attrs: amqp("orders")},
			{id: "c1", parent: "m1", svc: "fulfil", name: "POST", kind: client, start: 35, end: 70, err: true, attrs: httpClient("POST", "http://stock:8080/reserve", 500)},
			{id: "s1", parent: "c1", svc: "stock", name: "POST /reserve", kind: server, start: 36, end: 69, err: true, attrs: httpServer("/reserve", 500)},
			{id: "db", parent: "s1", svc: "stock", name: "UPDATE stock", kind: client, start: 40, end: 60, err: true, attrs: with(sqlSpan("postgresql", "UPDATE", "UPDATE stock SET qty = qty - $1 WHERE item = $2"), "db.response.status_code", "40P01")},
		},
		want: Want{Failed: false, NonFatal: 1, Units: []WantHop{{Description: "stock → postgresql UPDATE stock", Cause: "db_error", SpanID: spanID("db")}}},
	},
	{
		name:  "proxy-502-unreachable",
		about: "a proxy without failhop answers 502 because its backend refused the connection",
		spans: []fs{
			{id: "root", svc: "edge-proxy", name: "ingress", kind: server, end: 15, attrs: with(httpServer("/api/orders", 502), "http.route", "/api/*")},
			{id: "c1", parent: "root", svc: "edge-proxy", name: "router orders egress", kind: client, start: 1, end: 2, err: true, attrs: with(httpClient("GET", "http://orders.internal:8080/api/orders", 0), "peer.service", "orders")},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "edge-proxy → orders GET", Cause: "peer_unreachable"}}, Confidence: "medium"},
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
		about: "orders' server span has a caller that sent no spans (an untraced client, or its spans were lost): the analysis starts there, and what is below it is whole",
		spans: []fs{
			{id: "s1", parent: "lost", svc: "orders", name: "POST /orders", kind: server, start: 3, end: 30, err: true, attrs: with(httpServer("/orders", 500), marks(propagated, cause("db_error"))...)},
			{id: "db", parent: "s1", svc: "orders", name: "INSERT orders", kind: client, start: 5, end: 9, err: true, attrs: with(sqlSpan("postgresql", "INSERT", "INSERT INTO orders (item) VALUES ($1)"), marks(origin, cause("db_error"))...)},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "orders → postgresql INSERT orders", Cause: "db_error"}}, Confidence: "high", Notes: 1},
	},
	{
		name:  "missing-root-local-parent",
		about: "the earliest span whose parent is absent is an internal span: its service's own spans are missing, so the answer is low-confidence",
		spans: []fs{
			{id: "work", parent: "lost", svc: "orders", name: "place order", kind: internal, start: 3, end: 30, err: true},
			{id: "db", parent: "work", svc: "orders", name: "INSERT orders", kind: client, start: 5, end: 9, err: true, attrs: with(sqlSpan("postgresql", "INSERT", "INSERT INTO orders (item) VALUES ($1)"), "db.response.status_code", "23505")},
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
		want: Want{Failed: true, Hops: []WantHop{{Description: "gateway → orders:8080 GET", Cause: "upstream_error"}}, NonFatal: 1, Confidence: "low", Notes: 1},
	},
	{
		name:  "missing-server-side",
		about: "orders got a 500 from a service that is not instrumented",
		spans: []fs{
			{id: "root", svc: "orders", name: "POST /orders", kind: server, end: 40, err: true, attrs: httpServer("/orders", 500)},
			{id: "c1", parent: "root", svc: "orders", name: "POST", kind: client, start: 2, end: 30, err: true, attrs: httpClient("POST", "http://legacy-billing:8080/invoice", 500)},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "orders → legacy-billing:8080 POST", Cause: "upstream_error"}}, Confidence: "medium"},
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

	// Real-world shapes (issue 10): spans that say nothing between failed
	// ones, masked timeouts, canceled siblings, exhausted retries, failure
	// told by attributes only, gRPC codes, messages from exceptions and
	// log events.
	{
		name:  "express-throws",
		about: "express on OpenTelemetry JS: a \"request handler\" span (status Unset) between each server span and what it does; back's route throws, front answers 502",
		spans: []fs{
			{id: "fs", svc: "front", name: "GET /checkout", kind: server, end: 40, err: true, attrs: map[string]any{"http.method": "GET", "http.route": "/checkout", "http.status_code": int64(502)}},
			{id: "fh", parent: "fs", svc: "front", name: "request handler - /checkout", kind: internal, start: 1, end: 39, attrs: map[string]any{"express.type": "request_handler", "http.route": "/checkout"}},
			{id: "fc", parent: "fh", svc: "front", name: "GET", kind: client, start: 2, end: 30, err: true, attrs: map[string]any{"http.method": "GET", "http.url": "http://localhost:8081/items/42", "http.status_code": int64(500), "net.peer.name": "localhost", "net.peer.port": int64(8081)}},
			{id: "bs", parent: "fc", svc: "back", name: "GET /items/:id", kind: server, start: 3, end: 29, err: true, attrs: map[string]any{"http.method": "GET", "http.route": "/items/:id", "http.status_code": int64(500)}},
			{id: "bh", parent: "bs", svc: "back", name: "request handler - /items/:id", kind: internal, start: 4, end: 28, err: true, exception: "item 42 not found", attrs: map[string]any{"express.type": "request_handler"}},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "back: request handler - /items/:id", Cause: "app_error", SpanID: spanID("bh"), Message: "item 42 not found", Stack: true}}, Confidence: "medium"},
	},
	{
		name:  "express-refused-handler-unset",
		about: "express on OpenTelemetry JS: back is not running; front's call, under its request handler span (Unset: the handler answers 502 itself), is refused",
		spans: []fs{
			{id: "fs", svc: "front", name: "GET /checkout", kind: server, end: 10, err: true, attrs: map[string]any{"http.method": "GET", "http.route": "/checkout", "http.status_code": int64(502)}},
			{id: "fh", parent: "fs", svc: "front", name: "request handler - /checkout", kind: internal, start: 1, end: 9, attrs: map[string]any{"express.type": "request_handler"}},
			{id: "fc", parent: "fh", svc: "front", name: "GET", kind: client, start: 2, end: 3, err: true, exception: "connect ECONNREFUSED 127.0.0.1:8081", attrs: map[string]any{"http.method": "GET", "http.url": "http://127.0.0.1:8081/items/42", "net.peer.name": "127.0.0.1", "net.peer.port": int64(8081)}},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "front → 127.0.0.1:8081 GET", Cause: "peer_unreachable", SpanID: spanID("fc"), Message: "connect ECONNREFUSED 127.0.0.1:8081", Stack: true}}, Confidence: "medium"},
	},
	{
		name:  "middleware-between-failures",
		about: "Go: two middleware spans (Unset) between orders' server span and its failed call; payments' handler failed",
		spans: []fs{
			{id: "root", svc: "orders", name: "POST /orders", kind: server, end: 60, err: true, attrs: httpServer("/orders", 500)},
			{id: "mw1", parent: "root", svc: "orders", name: "auth", kind: internal, start: 1, end: 59},
			{id: "mw2", parent: "mw1", svc: "orders", name: "rate limit", kind: internal, start: 2, end: 58},
			{id: "c1", parent: "mw2", svc: "orders", name: "POST", kind: client, start: 3, end: 50, err: true, attrs: httpClient("POST", "http://payments:8080/charge", 503)},
			{id: "s1", parent: "c1", svc: "payments", name: "POST /charge", kind: server, start: 4, end: 49, err: true, exception: "ledger: account 7 is locked", attrs: httpServer("/charge", 503)},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "orders → payments POST /charge", Cause: "app_error", SpanID: spanID("s1"), Message: "ledger: account 7 is locked", Stack: true}}, Confidence: "medium"},
	},
	{
		name:  "framework-spans-to-query",
		about: "a Java-style service: controller and repository spans (Unset) between the server span and the failed INSERT, legacy db.* attributes",
		spans: []fs{
			{id: "root", svc: "checkout", name: "POST /api/orders", kind: server, end: 40, err: true, status: "Internal Server Error", attrs: map[string]any{"http.method": "POST", "http.status_code": int64(500)}},
			{id: "ctl", parent: "root", svc: "checkout", name: "OrderController.place", kind: internal, start: 1, end: 39},
			{id: "repo", parent: "ctl", svc: "checkout", name: "OrderRepository.save", kind: internal, start: 2, end: 38},
			{id: "db", parent: "repo", svc: "checkout", name: "INSERT shop.orders", kind: client, start: 3, end: 10, err: true, status: "An error occurred", exception: "ERROR: duplicate key value violates unique constraint \"orders_pkey\"", attrs: map[string]any{"db.system": "postgresql", "db.statement": "INSERT INTO orders (id, item) VALUES (?, ?)"}},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "checkout → postgresql INSERT shop.orders", Cause: "db_error", SpanID: spanID("db"), Message: "ERROR: duplicate key value violates unique constraint \"orders_pkey\"", Stack: true}}, Confidence: "medium"},
	},
	{
		name:  "fanout-same-span-name",
		about: "front calls a then b, both client spans named \"GET\": b's success does not recover a's failure",
		spans: []fs{
			{id: "root", svc: "front", name: "GET /page", kind: server, end: 100, err: true, attrs: httpServer("/page", 502)},
			{id: "c1", parent: "root", svc: "front", name: "GET", kind: client, start: 2, end: 30, err: true, attrs: httpClient("GET", "http://a:8080/x", 500)},
			{id: "s1", parent: "c1", svc: "a", name: "GET /x", kind: server, start: 3, end: 29, err: true, exception: "a: config key x.url missing", attrs: httpServer("/x", 500)},
			{id: "c2", parent: "root", svc: "front", name: "GET", kind: client, start: 31, end: 60, attrs: httpClient("GET", "http://b:8080/y", 200)},
			{id: "s2", parent: "c2", svc: "b", name: "GET /y", kind: server, start: 32, end: 59, attrs: httpServer("/y", 200)},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "front → a GET /x", Cause: "app_error", SpanID: spanID("s1"), Stack: true}}, Confidence: "medium"},
	},
	{
		name:  "proxy-504-masked",
		about: "an edge proxy gives up after 1s and answers 504, the only error in the trace; orders, with no error, runs on for 3s in a locking query",
		spans: []fs{
			{id: "root", svc: "edge-proxy", name: "ingress", kind: server, end: 1000, err: true, attrs: httpServer("/api/orders", 504)},
			{id: "eg", parent: "root", svc: "edge-proxy", name: "router orders egress", kind: client, start: 1, end: 1000, attrs: map[string]any{"peer.service": "orders", "url.full": "http://orders:8080/orders"}},
			{id: "os", parent: "eg", svc: "orders", name: "POST /orders", kind: server, start: 2, end: 3000, attrs: httpServer("/orders", 200)},
			{id: "q1", parent: "os", svc: "orders", name: "SELECT orders", kind: client, start: 3, end: 5, attrs: sqlSpan("postgresql", "SELECT", "SELECT id FROM orders WHERE user_id = $1")},
			{id: "q2", parent: "os", svc: "orders", name: "SELECT stock", kind: client, start: 6, end: 2990, attrs: sqlSpan("postgresql", "SELECT", "SELECT qty FROM stock WHERE item = $1 FOR UPDATE")},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "orders → postgresql SELECT stock", Cause: "timeout", SpanID: spanID("q2")}}, Confidence: "medium"},
	},
	{
		name:  "gateway-504-callee-own-code",
		about: "a gateway that records one span answers 504 after 1s; reports, its direct child, ran 4s in its own code (its one query was quick)",
		spans: []fs{
			{id: "root", svc: "gateway", name: "GET /report", kind: server, end: 1000, err: true, attrs: httpServer("/report", 504)},
			{id: "rs", parent: "root", svc: "reports", name: "GET /report", kind: server, start: 5, end: 4000, attrs: httpServer("/report", 200)},
			{id: "rq", parent: "rs", svc: "reports", name: "SELECT summary", kind: client, start: 6, end: 40, attrs: sqlSpan("postgresql", "SELECT", "SELECT * FROM summary")},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "gateway → reports GET /report", Cause: "timeout", SpanID: spanID("rs")}}, Confidence: "medium"},
	},
	{
		name:  "client-504-masked-deep",
		about: "checkout's call gets a 504 from a sidecar (a status attribute, no span status); payments outlived it, waiting 3s on fraud",
		spans: []fs{
			{id: "root", svc: "checkout", name: "POST /checkout", kind: server, end: 1100, err: true, attrs: httpServer("/checkout", 500)},
			{id: "c1", parent: "root", svc: "checkout", name: "POST", kind: client, start: 10, end: 1010, attrs: httpClient("POST", "http://payments:8080/charge", 504)},
			{id: "s1", parent: "c1", svc: "payments", name: "POST /charge", kind: server, start: 12, end: 3000, attrs: httpServer("/charge", 200)},
			{id: "c2", parent: "s1", svc: "payments", name: "POST", kind: client, start: 15, end: 2990, attrs: httpClient("POST", "http://fraud:9000/score", 200)},
			{id: "s2", parent: "c2", svc: "fraud", name: "POST /score", kind: server, start: 16, end: 2989, attrs: httpServer("/score", 200)},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "payments → fraud POST /score", Cause: "timeout", SpanID: spanID("s2")}}, Confidence: "medium"},
	},
	{
		name:  "timeout-or-clock-skew",
		about: "gateway times out calling reports, whose span starts 400ms after the call ended: clock skew, not a callee that outlived its caller",
		spans: []fs{
			{id: "root", svc: "gateway", name: "GET /report", kind: server, end: 1005, err: true, attrs: httpServer("/report", 504)},
			{id: "gc", parent: "root", svc: "gateway", name: "GET", kind: client, start: 1, end: 1000, err: true, attrs: with(httpClient("GET", "http://reports:8080/report", 0), "error.type", "timeout")},
			{id: "rs", parent: "gc", svc: "reports", name: "GET /report", kind: server, start: 1400, end: 2300, attrs: httpServer("/report", 200)},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "gateway → reports GET /report", Cause: "timeout", SpanID: spanID("rs")}}, Confidence: "low", Notes: 1},
	},
	{
		name:  "fanout-canceled-go",
		about: "gateway calls inventory and orders in parallel; inventory's query fails, and gateway cancels the call to orders (context canceled): one hop",
		spans: []fs{
			{id: "root", svc: "gateway", name: "GET /checkout", kind: server, end: 100, err: true, attrs: httpServer("/checkout", 502)},
			{id: "c1", parent: "root", svc: "gateway", name: "GET", kind: client, start: 2, end: 40, err: true, attrs: httpClient("GET", "http://inventory:8080/items/7", 500)},
			{id: "s1", parent: "c1", svc: "inventory", name: "GET /items/{id}", kind: server, start: 3, end: 39, err: true, attrs: httpServer("/items/{id}", 500)},
			{id: "db", parent: "s1", svc: "inventory", name: "SELECT stock", kind: client, start: 5, end: 30, err: true, attrs: with(sqlSpan("postgresql", "SELECT", "SELECT qty, reserved FROM stock WHERE item = $1"), "db.response.status_code", "42703")},
			{id: "c2", parent: "root", svc: "gateway", name: "GET", kind: client, start: 2, end: 41, err: true, status: "Get \"http://orders:8080/orders/history\": context canceled", attrs: httpClient("GET", "http://orders:8080/orders/history", 0)},
			{id: "s2", parent: "c2", svc: "orders", name: "GET /orders/history", kind: server, start: 3, end: 45},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "inventory → postgresql SELECT stock", Cause: "db_error", SpanID: spanID("db")}}, NonFatal: 1, Confidence: "medium"},
	},
	{
		name:  "fanout-grpc-cancelled",
		about: "checkout calls inventory and shipping over gRPC; inventory fails INTERNAL, shipping's call ends CANCELLED: one hop",
		spans: []fs{
			{id: "root", svc: "checkout", name: "POST /checkout", kind: server, end: 100, err: true, attrs: httpServer("/checkout", 500)},
			{id: "g1", parent: "root", svc: "checkout", name: "inventory.Stock/Reserve", kind: client, start: 2, end: 50, err: true, attrs: map[string]any{"rpc.system": "grpc", "rpc.grpc.status_code": int64(13), "server.address": "inventory"}},
			{id: "g1s", parent: "g1", svc: "inventory", name: "inventory.Stock/Reserve", kind: server, start: 3, end: 49, err: true, exception: "reserve: stock row 7 is locked", attrs: map[string]any{"rpc.system": "grpc", "rpc.grpc.status_code": int64(13)}},
			{id: "g2", parent: "root", svc: "checkout", name: "shipping.Quotes/Get", kind: client, start: 2, end: 51, err: true, status: "context canceled", attrs: map[string]any{"rpc.system": "grpc", "rpc.grpc.status_code": int64(1), "server.address": "shipping"}},
			{id: "g2s", parent: "g2", svc: "shipping", name: "shipping.Quotes/Get", kind: server, start: 3, end: 52, attrs: map[string]any{"rpc.system": "grpc", "rpc.grpc.status_code": int64(1)}},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "checkout → inventory inventory.Stock/Reserve", Cause: "app_error", SpanID: spanID("g1s"), Stack: true}}, NonFatal: 1, Confidence: "medium"},
	},
	{
		name:  "fanout-node-aborted",
		about: "a Node service fans out three fetches; recs refuses the connection and the other two are aborted (AbortError): one hop",
		spans: []fs{
			{id: "root", svc: "web", name: "GET /home", kind: server, end: 300, err: true, attrs: map[string]any{"http.method": "GET", "http.status_code": int64(502)}},
			{id: "h", parent: "root", svc: "web", name: "request handler - /home", kind: internal, start: 1, end: 299},
			{id: "a1", parent: "h", svc: "web", name: "GET", kind: client, start: 2, end: 3, err: true, exception: "connect ECONNREFUSED 10.0.0.7:3000", attrs: map[string]any{"http.method": "GET", "http.url": "http://recs:3000/recs"}},
			{id: "a2", parent: "h", svc: "web", name: "GET", kind: client, start: 2, end: 4, err: true, exception: "AbortError: This operation was aborted", attrs: map[string]any{"http.method": "GET", "http.url": "http://ads:3000/ads"}},
			{id: "a2s", parent: "a2", svc: "ads", name: "GET /ads", kind: server, start: 3, end: 250, attrs: map[string]any{"http.method": "GET", "http.status_code": int64(200)}},
			{id: "a3", parent: "h", svc: "web", name: "GET", kind: client, start: 2, end: 4, err: true, exception: "AbortError: This operation was aborted", attrs: map[string]any{"http.method": "GET", "http.url": "http://profile:3000/me"}},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "web → recs:3000 GET", Cause: "peer_unreachable", SpanID: spanID("a1"), Stack: true}}, NonFatal: 2, Confidence: "medium"},
	},
	{
		name:  "retry-exhausted-three",
		about: "orders tries payments three times, every attempt answered 503 by payments' handler: one hop, three attempts, at the last one",
		spans: []fs{
			{id: "root", svc: "orders", name: "POST /orders", kind: server, end: 400, err: true, attrs: httpServer("/orders", 502)},
			{id: "c1", parent: "root", svc: "orders", name: "POST", kind: client, start: 2, end: 100, err: true, attrs: httpClient("POST", "http://payments:8080/charge", 503)},
			{id: "s1", parent: "c1", svc: "payments", name: "POST /charge", kind: server, start: 3, end: 99, err: true, exception: "ledger: account 7 is locked", attrs: httpServer("/charge", 503)},
			{id: "c2", parent: "root", svc: "orders", name: "POST", kind: client, start: 150, end: 250, err: true, attrs: httpClient("POST", "http://payments:8080/charge", 503)},
			{id: "s2", parent: "c2", svc: "payments", name: "POST /charge", kind: server, start: 151, end: 249, err: true, exception: "ledger: account 7 is locked", attrs: httpServer("/charge", 503)},
			{id: "c3", parent: "root", svc: "orders", name: "POST", kind: client, start: 300, end: 390, err: true, attrs: httpClient("POST", "http://payments:8080/charge", 503)},
			{id: "s3", parent: "c3", svc: "payments", name: "POST /charge", kind: server, start: 301, end: 389, err: true, exception: "ledger: account 7 is locked", attrs: httpServer("/charge", 503)},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "orders → payments POST /charge", Cause: "app_error", SpanID: spanID("s3"), Count: 3, Attempts: 3, Message: "ledger: account 7 is locked", Stack: true}}, Confidence: "medium"},
	},
	{
		name:  "retry-exhausted-refused",
		about: "orders tries payments three times, every connection refused (no server spans): one hop, three attempts, at the last one",
		spans: []fs{
			{id: "root", svc: "orders", name: "POST /orders", kind: server, end: 100, err: true, attrs: httpServer("/orders", 502)},
			{id: "c1", parent: "root", svc: "orders", name: "POST", kind: client, start: 2, end: 3, err: true, attrs: with(httpClient("POST", "http://payments:8080/charge", 0), "error.type", "connection_refused")},
			{id: "c2", parent: "root", svc: "orders", name: "POST", kind: client, start: 20, end: 21, err: true, attrs: with(httpClient("POST", "http://payments:8080/charge", 0), "error.type", "connection_refused")},
			{id: "c3", parent: "root", svc: "orders", name: "POST", kind: client, start: 60, end: 61, err: true, attrs: with(httpClient("POST", "http://payments:8080/charge", 0), "error.type", "connection_refused")},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "orders → payments:8080 POST", Cause: "peer_unreachable", SpanID: spanID("c3"), Count: 3, Attempts: 3}}, Confidence: "medium"},
	},
	{
		name:  "retry-exhausted-hotrod-redis",
		about: "HotROD's shape when the driver gives up: three GetDriver calls to its simulated Redis, each \"redis timeout\" (status \"An error occurred\", the error in an exception and a log event)",
		spans: []fs{
			{id: "root", svc: "frontend", name: "/dispatch", kind: server, end: 900, err: true, attrs: httpServer("/dispatch", 500)},
			{id: "fc", parent: "root", svc: "frontend", name: "driver.DriverService/FindNearest", kind: client, start: 10, end: 890, err: true, attrs: map[string]any{"rpc.system": "grpc", "rpc.grpc.status_code": int64(2)}},
			{id: "ds", parent: "fc", svc: "driver", name: "driver.DriverService/FindNearest", kind: server, start: 11, end: 889, err: true, attrs: map[string]any{"rpc.system": "grpc", "rpc.grpc.status_code": int64(2)},
				logs: []log{{"Failed to get driver after 3 attempts", map[string]any{"level": "error", "error": "redis timeout"}}}},
			{id: "fi", parent: "ds", svc: "redis-manual", name: "FindDriverIDs", kind: client, start: 12, end: 30},
			{id: "g1", parent: "ds", svc: "redis-manual", name: "GetDriver", kind: client, start: 31, end: 300, err: true, status: "An error occurred", exception: "redis timeout",
				logs: []log{{"redis timeout", map[string]any{"level": "error", "error": "redis timeout", "driver_id": "T751005C"}}}},
			{id: "g2", parent: "ds", svc: "redis-manual", name: "GetDriver", kind: client, start: 301, end: 570, err: true, status: "An error occurred", exception: "redis timeout",
				logs: []log{{"redis timeout", map[string]any{"level": "error", "error": "redis timeout", "driver_id": "T751005C"}}}},
			{id: "g3", parent: "ds", svc: "redis-manual", name: "GetDriver", kind: client, start: 571, end: 880, err: true, status: "An error occurred", exception: "redis timeout",
				logs: []log{{"redis timeout", map[string]any{"level": "error", "error": "redis timeout", "driver_id": "T751005C"}}}},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "redis-manual: GetDriver", Cause: "timeout", SpanID: spanID("g3"), Count: 3, Attempts: 3, Message: "redis timeout", Stack: true}}, Confidence: "medium"},
	},
	{
		name:  "status-only-client-legacy",
		about: "older instrumentation: no span status anywhere, http.status_code 503 on orders' call to billing, which sent no spans",
		spans: []fs{
			{id: "root", svc: "orders", name: "HTTP POST /orders", kind: server, end: 60, attrs: map[string]any{"http.method": "POST", "http.status_code": int64(500)}},
			{id: "c1", parent: "root", svc: "orders", name: "HTTP POST", kind: client, start: 5, end: 50, attrs: map[string]any{"http.method": "POST", "http.url": "http://billing:8080/invoice", "http.status_code": int64(503)}},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "orders → billing:8080 POST", Cause: "upstream_error", SpanID: spanID("c1")}}, Confidence: "medium"},
	},
	{
		name:  "status-only-client-current",
		about: "current conventions, no span status: checkout's call to an outside API gets a 500 (the API key in the query string is not shown)",
		spans: []fs{
			{id: "root", svc: "checkout", name: "POST /checkout", kind: server, end: 60, attrs: httpServer("/checkout", 502)},
			{id: "c1", parent: "root", svc: "checkout", name: "POST", kind: client, start: 5, end: 50, attrs: with(httpClient("POST", "https://tax-api.example.com/v2/rates?key=s3cr3t", 500), "server.address", "tax-api.example.com", "server.port", int64(443))},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "checkout → tax-api.example.com:443 POST", Cause: "upstream_error", SpanID: spanID("c1")}}, Confidence: "medium"},
	},
	{
		name:  "status-only-with-server",
		about: "older instrumentation, no span status: users answers 500 after an exception; web's call and page pass it on",
		spans: []fs{
			{id: "root", svc: "web", name: "HTTP GET /profile", kind: server, end: 80, attrs: map[string]any{"http.method": "GET", "http.status_code": int64(500)}},
			{id: "c1", parent: "root", svc: "web", name: "HTTP GET", kind: client, start: 5, end: 70, attrs: map[string]any{"http.method": "GET", "http.url": "http://users:8080/users/7", "http.status_code": int64(500)}},
			{id: "s1", parent: "c1", svc: "users", name: "HTTP GET /users/{id}", kind: server, start: 6, end: 69, exception: "NullPointerException: user.address is null", attrs: map[string]any{"http.method": "GET", "http.status_code": int64(500)}},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "web → users HTTP GET /users/{id}", Cause: "app_error", SpanID: spanID("s1"), Message: "NullPointerException: user.address is null", Stack: true}}, Confidence: "medium"},
	},
	{
		name:  "grpc-unavailable-code-name",
		about: "current gRPC conventions: rpc.response.status_code \"UNAVAILABLE\", no span status, no server span: the hop to the peer",
		spans: []fs{
			{id: "root", svc: "frontend", name: "GET /cart", kind: server, end: 30, err: true, attrs: httpServer("/cart", 500)},
			{id: "c1", parent: "root", svc: "frontend", name: "cart.CartService/GetCart", kind: client, start: 2, end: 5, attrs: map[string]any{"rpc.system.name": "grpc", "rpc.response.status_code": "UNAVAILABLE", "server.address": "cart", "server.port": int64(7070)}},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "frontend → cart:7070 cart.CartService/GetCart", Cause: "peer_unreachable", SpanID: spanID("c1")}}, Confidence: "medium"},
	},
	{
		name:  "grpc-deadline-masked",
		about: "checkout's gRPC call ends DEADLINE_EXCEEDED after 500ms; payment, with no error, ran on for 2s waiting on its bank",
		spans: []fs{
			{id: "root", svc: "checkout", name: "POST /checkout", kind: server, end: 600, err: true, attrs: httpServer("/checkout", 504)},
			{id: "c1", parent: "root", svc: "checkout", name: "payment.PaymentService/Charge", kind: client, start: 5, end: 505, err: true, attrs: map[string]any{"rpc.system": "grpc", "rpc.grpc.status_code": int64(4)}},
			{id: "s1", parent: "c1", svc: "payment", name: "payment.PaymentService/Charge", kind: server, start: 6, end: 2000, attrs: map[string]any{"rpc.system": "grpc", "rpc.grpc.status_code": int64(0)}},
			{id: "ins", parent: "s1", svc: "payment", name: "INSERT charges", kind: client, start: 7, end: 15, attrs: sqlSpan("postgresql", "INSERT", "INSERT INTO charges (amount) VALUES ($1)")},
			{id: "bank", parent: "s1", svc: "payment", name: "POST", kind: client, start: 16, end: 1990, attrs: httpClient("POST", "https://bank.example/charge", 200)},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "payment → bank.example POST", Cause: "timeout", SpanID: spanID("bank")}}, Confidence: "medium"},
	},
	{
		name:  "grpc-internal-propagates",
		about: "INTERNAL on the client and server spans passes the failure on: the origin is catalog's failed query",
		spans: []fs{
			{id: "root", svc: "frontend", name: "GET /product/{id}", kind: server, end: 80, err: true, attrs: httpServer("/product/{id}", 500)},
			{id: "c1", parent: "root", svc: "frontend", name: "catalog.Catalog/GetProduct", kind: client, start: 2, end: 70, err: true, attrs: map[string]any{"rpc.system": "grpc", "rpc.grpc.status_code": int64(13), "server.address": "catalog"}},
			{id: "s1", parent: "c1", svc: "catalog", name: "catalog.Catalog/GetProduct", kind: server, start: 3, end: 69, err: true, attrs: map[string]any{"rpc.system": "grpc", "rpc.grpc.status_code": int64(13)}},
			{id: "db", parent: "s1", svc: "catalog", name: "SELECT products", kind: client, start: 5, end: 9, err: true, exception: "ERROR: relation \"products\" does not exist", attrs: with(sqlSpan("postgresql", "SELECT", "SELECT * FROM products WHERE id = $1"), "db.response.status_code", "42P01")},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "catalog → postgresql SELECT products", Cause: "db_error", SpanID: spanID("db"), Stack: true}}, Confidence: "medium"},
	},
	{
		name:  "grpc-unknown-panic",
		about: "UNKNOWN from a gRPC server whose handler panicked (recorded as an exception): the server span is the origin",
		spans: []fs{
			{id: "root", svc: "web", name: "POST /cart", kind: server, end: 50, err: true, attrs: httpServer("/cart", 500)},
			{id: "c1", parent: "root", svc: "web", name: "cart.Cart/AddItem", kind: client, start: 2, end: 40, err: true, attrs: map[string]any{"rpc.system": "grpc", "rpc.grpc.status_code": int64(2)}},
			{id: "s1", parent: "c1", svc: "cart", name: "cart.Cart/AddItem", kind: server, start: 3, end: 39, err: true, exception: "panic: runtime error: invalid memory address or nil pointer dereference", attrs: map[string]any{"rpc.system": "grpc", "rpc.grpc.status_code": int64(2)}},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "web → cart cart.Cart/AddItem", Cause: "panic", SpanID: spanID("s1"), Stack: true}}, Confidence: "medium"},
	},
	{
		name:  "grpc-hedge-cancelled",
		about: "search sends a hedged gRPC query; the first answer wins and the hedge ends CANCELLED: the request succeeded",
		spans: []fs{
			{id: "root", svc: "search", name: "GET /search", kind: server, end: 120, attrs: httpServer("/search", 200)},
			{id: "h1", parent: "root", svc: "search", name: "index.Index/Query", kind: client, start: 2, end: 100, attrs: map[string]any{"rpc.system": "grpc", "rpc.grpc.status_code": int64(0)}},
			{id: "h2", parent: "root", svc: "search", name: "index.Index/Query", kind: client, start: 52, end: 101, err: true, attrs: map[string]any{"rpc.system": "grpc", "rpc.grpc.status_code": int64(1)}},
		},
		want: Want{Failed: false, NonFatal: 1},
	},
	{
		name:  "generic-status-exception",
		about: "the status says only \"An error occurred\"; the exception says what: a Redis timeout",
		spans: []fs{
			{id: "root", svc: "cart", name: "GET /cart", kind: server, end: 1050, err: true, status: "An error occurred", exception: "redis: i/o timeout", attrs: httpServer("/cart", 500)},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "cart GET /cart", Cause: "timeout", SpanID: spanID("root"), Message: "redis: i/o timeout", Stack: true}}, Confidence: "medium"},
	},
	{
		name:  "log-event-message",
		about: "HotROD's customer shape: the error is only in an error-level log event on the server span (\"request failed\", error=\"invalid customer ID\")",
		spans: []fs{
			{id: "root", svc: "frontend", name: "/dispatch", kind: server, end: 300, err: true, attrs: httpServer("/dispatch", 500)},
			{id: "fc", parent: "root", svc: "frontend", name: "HTTP GET", kind: client, start: 2, end: 290, err: true, attrs: httpClient("GET", "http://127.0.0.1:8081/customer?customer=999", 500)},
			{id: "cs", parent: "fc", svc: "customer", name: "/customer", kind: server, start: 3, end: 289, err: true, attrs: httpServer("/customer", 500),
				logs: []log{{"HTTP request received", map[string]any{"level": "info", "method": "GET"}}, {"request failed", map[string]any{"level": "error", "error": "invalid customer ID"}}}},
			{id: "sql", parent: "cs", svc: "mysql", name: "SQL SELECT", kind: client, start: 4, end: 280, attrs: map[string]any{"sql.query": "select * from customer where customer_id=999"}},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "frontend → customer /customer", Cause: "app_error", SpanID: spanID("cs"), Message: "invalid customer ID"}}, Confidence: "medium"},
	},
	{
		name:  "log-event-timeout",
		about: "an internal span failed with no exception and no description; its error-level log says it timed out",
		spans: []fs{
			{id: "root", svc: "api", name: "GET /quote", kind: server, end: 900, err: true, attrs: httpServer("/quote", 500)},
			{id: "w", parent: "root", svc: "api", name: "price quote", kind: internal, start: 2, end: 890, err: true,
				logs: []log{{"quote failed", map[string]any{"level": "error", "error": "upstream pricing timeout after 800ms"}}}},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "api: price quote", Cause: "timeout", SpanID: spanID("w"), Message: "upstream pricing timeout after 800ms"}}, Confidence: "medium"},
	},
	{
		name:  "opentracing-error-log",
		about: "an OpenTracing client: error=true tags and an \"error\" log with error.object, no OTel status",
		spans: []fs{
			{id: "root", svc: "legacy-web", name: "GET /orders", kind: server, end: 3100, attrs: map[string]any{"error": true, "http.method": "GET", "http.status_code": int64(500)}},
			{id: "c1", parent: "root", svc: "legacy-web", name: "GET", kind: client, start: 5, end: 3005, attrs: map[string]any{"error": true, "http.method": "GET", "http.url": "http://orders-svc:8080/orders"},
				logs: []log{{"error", map[string]any{"error.kind": "java.net.SocketTimeoutException", "error.object": "java.net.SocketTimeoutException: Read timed out"}}}},
		},
		want: Want{Failed: true, Hops: []WantHop{{Description: "legacy-web → orders-svc:8080 GET", Cause: "timeout", SpanID: spanID("c1"), Message: "java.net.SocketTimeoutException: Read timed out"}}, Confidence: "medium"},
	},
}
