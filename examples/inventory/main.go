// Command inventory is the demo shop's stock service. It owns the tables
// items and stock and serves:
//
//	GET  /items/{id}        an item: name and price
//	GET  /items/{id}/stock  how many are in stock
//	POST /reserve           {"item_id":1,"qty":2}: take items out of stock
//
// It is instrumented the way any service is: exporters.Setup once,
// instrument.Handler around chi's router, whose routes instrumentchi.Route
// gives to the Handler (a span is named "GET /items/{id}", not "GET"),
// tracelog for the logs, and its database traced: on PostgreSQL it uses
// pgx directly, a pgxpool with instrumentpgx's tracer; on SQLite,
// database/sql through instrument.OpenDB (store.go).
//
// Demo fault switches (read at start; the scenario runner restarts the
// process to flip them): INVENTORY_SLOW_QUERY=1s makes the stock query
// sleep in the database, INVENTORY_V2_QUERY=1 ships a query that names a
// column the schema does not have (the bad deploy). Item 13 hits a bug.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/failhop/failhop/examples/internal/demo"
	"github.com/failhop/failhop/exporters"
	"github.com/failhop/failhop/instrument"
	"github.com/failhop/failhop/instrument/instrumentchi"
	"github.com/failhop/failhop/tracelog"
)

func main() {
	addr := flag.String("addr", demo.Getenv("ADDR", ":8082"), "listen address (env ADDR)")
	dataDir := flag.String("data", demo.Getenv("DATA_DIR", "data"), "directory of the SQLite file (env DATA_DIR)")
	flag.Parse()

	// Logs carry trace_id and span_id: a log line leads to its trace.
	slog.SetDefault(slog.New(tracelog.NewHandler(slog.NewTextHandler(os.Stderr, nil))).With("service", "inventory"))
	if err := run(*addr, *dataDir); err != nil {
		slog.Error("inventory stopped", "err", err)
		os.Exit(1)
	}
}

func run(addr, dataDir string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// Tracing: OTLP to OTEL_EXPORTER_OTLP_ENDPOINT, W3C propagation.
	shutdown, err := exporters.Setup(ctx,
		exporters.WithServiceName("inventory"),
		exporters.WithServiceVersion(demo.Getenv("SERVICE_VERSION", "1.0.0")))
	if err != nil {
		return err
	}
	defer func() {
		// Deliver the spans still queued; give up after 5 seconds.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := shutdown(ctx); err != nil {
			slog.Warn("traces not flushed", "err", err)
		}
	}()

	// The database: every query becomes a span, and a failing one is
	// marked as where the error started.
	dbc, err := demo.DatabaseFor("inventory", dataDir)
	if err != nil {
		return err
	}
	db, err := openStore(ctx, dbc)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := migrate(ctx, db, dbc.Schema); err != nil {
		// Keep serving: requests fail while the database is down, and
		// their traces say why. A real service might retry here.
		slog.Error("database not ready", "err", err)
	}

	s := &server{db: db, dbc: dbc}
	if s.slow, err = demo.Duration("INVENTORY_SLOW_QUERY", 0); err != nil {
		return err
	}
	s.v2 = os.Getenv("INVENTORY_V2_QUERY") == "1"

	router := chi.NewRouter()
	router.Use(instrumentchi.Route) // names each server span by its route
	router.Get("/healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	router.Get("/items/{id}", s.item)
	router.Get("/items/{id}/stock", s.stock)
	router.Post("/reserve", s.reserve)

	// One server span per request, except health checks.
	handler := instrument.Handler(router, "inventory", instrument.WithFilter(notHealthCheck))
	return demo.Serve(ctx, &http.Server{Addr: addr, Handler: handler, ReadHeaderTimeout: 5 * time.Second})
}

func notHealthCheck(r *http.Request) bool { return r.URL.Path != "/healthz" }

// serve runs srv until ctx is done (SIGINT, SIGTERM), then lets the
// requests in flight finish.
type server struct {
	db   store
	dbc  demo.Database
	slow time.Duration // demo fault switch: INVENTORY_SLOW_QUERY
	v2   bool          // demo fault switch: INVENTORY_V2_QUERY
}

type item struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	PriceCents int64  `json:"price_cents"`
	Category   string `json:"category,omitempty"`
}

func (s *server) item(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context() // carries the server span: pass it to every query
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad item id"})
		return
	}
	query := "SELECT id, name, price_cents, category FROM items WHERE id = $1"
	if s.v2 {
		// The bad deploy: version 2 reads a column whose migration never ran.
		query = "SELECT id, name, price_cents - discount_cents, category FROM items WHERE id = $1"
	}
	var it item
	err = s.db.QueryRow(ctx, query, id).Scan(&it.ID, &it.Name, &it.PriceCents, &it.Category)
	switch {
	case errors.Is(err, sql.ErrNoRows): // also pgx.ErrNoRows, which wraps it
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such item"})
		return
	case err != nil:
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, labeled(it))
}

// labeled adds the item's labels for the shop front.
func labeled(it item) map[string]any {
	out := map[string]any{"id": it.ID, "name": it.Name, "price_cents": it.PriceCents}
	var labels map[string]bool
	if it.Category != "" {
		labels = map[string]bool{it.Category: true}
	}
	// The demo's bug (the "panic" scenario): item 13 is the one seeded
	// item without a category, and this line assumes labels exists.
	// Writing to a nil map panics; instrument.Handler records the panic
	// with its stack and answers 500.
	labels["in-store"] = true
	out["labels"] = labels
	return out
}

func (s *server) stock(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad item id"})
		return
	}
	qty, err := s.inStock(r.Context(), id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such item"})
	case err != nil:
		fail(w, r, err)
	default:
		writeJSON(w, http.StatusOK, map[string]int64{"item_id": id, "qty": qty})
	}
}

// inStock reads the stock of an item.
func (s *server) inStock(ctx context.Context, id int64) (int64, error) {
	var qty int64
	query, args, dest := "SELECT qty FROM stock WHERE item_id = $1", []any{id}, []any{&qty}
	if s.slow > 0 {
		// Demo fault switch: the query sleeps in the database, like a
		// query that lost its index. Once per query: in the select list,
		// the sleep runs for the one row read. (As a condition, PostgreSQL
		// evaluated it first, for each row of its sequential scan.)
		// It ends with the request, as a real query does when canceled.
		query = "SELECT qty, pg_sleep($2) IS NULL FROM stock WHERE item_id = $1"
		sleep, release := s.dbc.SleepArg(ctx, s.slow)
		defer release()
		args, dest = append(args, sleep), append(dest, new(bool))
	}
	err := s.db.QueryRow(ctx, query, args...).Scan(dest...)
	return qty, err
}

func (s *server) reserve(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var req struct {
		ItemID int64 `json:"item_id"`
		Qty    int64 `json:"qty"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Qty <= 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "want {item_id, qty > 0}"})
		return
	}
	qty, err := s.inStock(ctx, req.ItemID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such item"})
		return
	case err != nil:
		fail(w, r, err)
		return
	case qty < req.Qty:
		writeJSON(w, http.StatusConflict, map[string]any{"error": "out of stock", "qty": qty})
		return
	}
	// The condition makes the update safe against a concurrent reservation.
	n, err := s.db.Exec(ctx,
		"UPDATE stock SET qty = qty - $1 WHERE item_id = $2 AND qty >= $1", req.Qty, req.ItemID)
	if err != nil {
		fail(w, r, err)
		return
	}
	if n == 0 {
		writeJSON(w, http.StatusConflict, map[string]string{"error": "out of stock"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"item_id": req.ItemID, "reserved": req.Qty})
}

// fail answers 500 for an error the request cannot recover from.
// RecordError puts the error on the server span; since it wraps the error
// a query returned, the span is marked as having passed that failure on.
func fail(w http.ResponseWriter, r *http.Request, err error) {
	instrument.RecordError(r.Context(), err)
	slog.ErrorContext(r.Context(), "request failed", "err", err)
	// Callers are our own services: the message helps them and never
	// reaches users, since the gateway is the public edge.
	writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "inventory: " + err.Error()})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// migrate creates the tables and the demo's catalogue when missing.
func migrate(ctx context.Context, db store, schema string) error {
	stmts := []string{
		`CREATE TABLE IF NOT EXISTS items (
			id          BIGINT PRIMARY KEY,
			name        TEXT NOT NULL,
			price_cents BIGINT NOT NULL,
			category    TEXT NOT NULL DEFAULT ''
		)`,
		`CREATE TABLE IF NOT EXISTS stock (
			item_id BIGINT PRIMARY KEY REFERENCES items(id),
			qty     BIGINT NOT NULL
		)`,
	}
	if schema != "" { // PostgreSQL: the tables live in the service's schema
		stmts = append([]string{`CREATE SCHEMA IF NOT EXISTS "` + schema + `"`}, stmts...)
	}
	for _, q := range stmts {
		if _, err := db.Exec(ctx, q); err != nil {
			return err
		}
	}
	catalogue := []item{
		{1, "Espresso cup", 900, "kitchen"},
		{2, "Pour-over kettle", 4500, "kitchen"},
		{3, "Coffee beans, 1 kg", 2400, "coffee"},
		{4, "Hand grinder", 6900, "kitchen"},
		{13, "Mystery mug", 1300, ""}, // the bug's trigger: no category
	}
	for _, it := range catalogue {
		if _, err := db.Exec(ctx,
			"INSERT INTO items (id, name, price_cents, category) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
			it.ID, it.Name, it.PriceCents, it.Category); err != nil {
			return err
		}
		// Plenty of stock, topped up at every start, so demos never run out.
		if _, err := db.Exec(ctx,
			"INSERT INTO stock (item_id, qty) VALUES ($1, 1000000) ON CONFLICT (item_id) DO UPDATE SET qty = 1000000",
			it.ID); err != nil {
			return err
		}
	}
	return nil
}
