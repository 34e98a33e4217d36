// Command orders is the demo shop's order service. It owns the table orders
// and serves:
//
//	POST /orders  {"item_id":1,"qty":2,"amount_cents":1800} -> 201 {"order_id":"...","charge_id":"..."}
//
// To place an order it reserves the items at inventory (POST /reserve, with
// the INVENTORY_TIMEOUT deadline), books the delivery at shipping (gRPC
// /shop.Shipping/Book at SHIPPING_ADDR), records the order, and charges it at
// payments (POST /charge, with PAYMENTS_TIMEOUT per attempt and one retry),
// authenticated with PAYMENTS_API_KEY.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/failhop/failhop/examples/internal/demo"
	"github.com/failhop/failhop/exporters"
	"github.com/failhop/failhop/instrument"
	"github.com/failhop/failhop/instrument/instrumentgrpc"
	"github.com/failhop/failhop/tracelog"
	"github.com/failhop/failhop/vocab"
)

func main() {
	addr := flag.String("addr", demo.Getenv("ADDR", ":8081"), "listen address (env ADDR)")
	dataDir := flag.String("data", demo.Getenv("DATA_DIR", "data"), "directory of the SQLite file (env DATA_DIR)")
	flag.Parse()

	slog.SetDefault(slog.New(tracelog.NewHandler(slog.NewTextHandler(os.Stderr, nil))).With("service", "orders"))
	if err := run(*addr, *dataDir); err != nil {
		slog.Error("orders stopped", "err", err)
		os.Exit(1)
	}
}

func run(addr, dataDir string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	s, err := newServer()
	if err != nil {
		return err
	}

	// Tracing: OTLP to OTEL_EXPORTER_OTLP_ENDPOINT, W3C propagation.
	shutdown, err := exporters.Setup(ctx,
		exporters.WithServiceName("orders"),
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

	// The database: every query becomes a span.
	dbc, err := demo.DatabaseFor("orders", dataDir)
	if err != nil {
		return err
	}
	if s.db, err = instrument.OpenDB(dbc.Driver, dbc.DSN); err != nil {
		return err
	}
	defer s.db.Close()
	s.db.SetMaxIdleConns(16) // keep connections for concurrent requests (the default keeps 2)
	if err := migrate(ctx, s.db, dbc.Schema); err != nil {
		slog.Error("database not ready", "err", err)
	}

	// Outgoing calls: a client span each, with the trace context in the
	// request headers (W3C traceparent) so the callee joins the trace. One
	// client per peer, named, so that a call that gets no answer still says
	// which service it was for.
	s.inventory = &http.Client{Transport: instrument.Transport(nil, instrument.WithPeerService("inventory"))}
	s.payments = &http.Client{Transport: instrument.Transport(nil, instrument.WithPeerService("payments"))}
	if s.shipping, err = dialShipping(); err != nil {
		return err
	}
	defer s.shipping.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("POST /orders", s.placeOrder)

	// One server span per request, except health checks.
	handler := instrument.Handler(mux, "orders", instrument.WithFilter(func(r *http.Request) bool {
		return r.URL.Path != "/healthz"
	}))
	return demo.Serve(ctx, &http.Server{Addr: addr, Handler: handler, ReadHeaderTimeout: 5 * time.Second})
}

// newServer returns the server configured by the environment: where
// inventory and payments are, how long each may take, the payments key.
func newServer() (*server, error) {
	s := &server{
		inventoryURL: demo.Getenv("INVENTORY_URL", "http://127.0.0.1:8082"),
		paymentsURL:  demo.Getenv("PAYMENTS_URL", "http://127.0.0.1:8083"),
		paymentsKey:  os.Getenv("PAYMENTS_API_KEY"),
	}
	var err error
	if s.inventoryTimeout, err = demo.Duration("INVENTORY_TIMEOUT", 500*time.Millisecond); err != nil {
		return nil, err
	}
	if s.paymentsTimeout, err = demo.Duration("PAYMENTS_TIMEOUT", 2*time.Second); err != nil {
		return nil, err
	}
	return s, nil
}

// dialShipping returns the client connection to shipping (SHIPPING_ADDR).
// Its gRPC calls are traced as the HTTP calls are: a client span each (one
// per attempt), marked when it fails. A booking that finds shipping
// unavailable is tried again, twice, and the connection to a restarted
// shipping comes back within a second.
func dialShipping() (*grpc.ClientConn, error) {
	return grpc.NewClient(demo.Getenv("SHIPPING_ADDR", "127.0.0.1:8084"),
		append(instrumentgrpc.DialOptions(instrument.WithPeerService("shipping")),
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithConnectParams(grpc.ConnectParams{Backoff: backoff.Config{
				BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: time.Second,
			}, MinConnectTimeout: time.Second}),
			grpc.WithDefaultServiceConfig(shippingRetries))...)
}

// server is the order service: its database and its clients of the
// services it calls.
type server struct {
	db                  *sql.DB
	inventory, payments *http.Client
	shipping            *grpc.ClientConn

	inventoryURL, paymentsURL string
	paymentsKey               string
	inventoryTimeout          time.Duration
	paymentsTimeout           time.Duration // per attempt
}

type orderRequest struct {
	ItemID      int64 `json:"item_id"`
	Qty         int64 `json:"qty"`
	AmountCents int64 `json:"amount_cents"`
}

func (s *server) placeOrder(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context() // carries the server span: pass it to every call
	var req orderRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Qty <= 0 || req.AmountCents <= 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "want {item_id, qty > 0, amount_cents > 0}"})
		return
	}

	// 1. Reserve the items.
	status, err := s.reserve(ctx, req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if status != http.StatusOK { // 404 no such item, 409 out of stock: the client's problem
		writeJSON(w, status, map[string]string{"error": http.StatusText(status)})
		return
	}

	// 2. Book the delivery.
	if err := s.book(ctx, req); err != nil {
		s.fail(w, r, err)
		return
	}

	// 3. Record the order.
	id := "ord_" + strings.ToLower(rand.Text()[:12])
	if _, err := s.db.ExecContext(ctx,
		"INSERT INTO orders (id, item_id, qty, amount_cents, status, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
		id, req.ItemID, req.Qty, req.AmountCents, "pending", time.Now().UTC().Format(time.RFC3339)); err != nil {
		s.fail(w, r, err)
		return
	}

	// 4. Charge it. The order ID is the idempotency key, so a retry never
	// charges twice.
	chargeID, err := s.charge(ctx, id, req.AmountCents)
	if err != nil {
		s.db.ExecContext(ctx, "UPDATE orders SET status = $1 WHERE id = $2", "payment_failed", id)
		s.fail(w, r, err)
		return
	}
	if _, err := s.db.ExecContext(ctx,
		"UPDATE orders SET status = $1, charge_id = $2 WHERE id = $3", "paid", chargeID, id); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"order_id": id, "status": "paid", "charge_id": chargeID})
}

// reserve asks inventory to set the items aside. It returns inventory's
// status when inventory answered with one the client should see (200, 404,
// 409), and an error otherwise.
func (s *server) reserve(ctx context.Context, req orderRequest) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, s.inventoryTimeout)
	defer cancel()
	body, _ := json.Marshal(map[string]int64{"item_id": req.ItemID, "qty": req.Qty})
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, s.inventoryURL+"/reserve", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Pattern = "/reserve" // the URL template: names the hop when inventory does not answer
	resp, err := s.inventory.Do(hreq)
	if err != nil {
		return 0, fmt.Errorf("inventory: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	switch resp.StatusCode {
	case http.StatusOK, http.StatusNotFound, http.StatusConflict:
		return resp.StatusCode, nil
	}
	return 0, fmt.Errorf("inventory: reserve answered %s", resp.Status)
}

// shippingRetries is the gRPC service config of the calls to shipping.
const shippingRetries = `{"methodConfig": [{
	"name": [{"service": "shop.Shipping"}],
	"retryPolicy": {"maxAttempts": 3, "initialBackoff": "0.2s", "maxBackoff": "0.5s",
		"backoffMultiplier": 2, "retryableStatusCodes": ["UNAVAILABLE"]}
}]}`

// book books the delivery at shipping, over gRPC.
func (s *server) book(ctx context.Context, req orderRequest) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	in, _ := structpb.NewStruct(map[string]any{"item_id": req.ItemID, "qty": req.Qty})
	if err := s.shipping.Invoke(ctx, "/shop.Shipping/Book", in, new(structpb.Struct)); err != nil {
		return fmt.Errorf("shipping: %w", err)
	}
	return nil
}

// errPayments says payments answered with a status we cannot retry.
var errPayments = errors.New("payments refused the charge")

// charge charges the order at payments: one attempt, and one retry when the
// first got no answer or a 5xx. A 4xx is never retried: the same request
// would be refused again.
func (s *server) charge(ctx context.Context, orderID string, amount int64) (string, error) {
	var err error
	for attempt := 1; attempt <= 2; attempt++ {
		var id string
		var retry bool
		id, retry, err = s.chargeOnce(ctx, orderID, amount)
		if err == nil || !retry || ctx.Err() != nil {
			return id, err
		}
		slog.WarnContext(ctx, "payment attempt failed", "attempt", attempt, "err", err)
	}
	return "", err
}

func (s *server) chargeOnce(ctx context.Context, orderID string, amount int64) (chargeID string, retry bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, s.paymentsTimeout)
	defer cancel()
	body, _ := json.Marshal(map[string]any{"order_id": orderID, "amount_cents": amount})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.paymentsURL+"/charge", bytes.NewReader(body))
	if err != nil {
		return "", false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Pattern = "/charge"
	req.Header.Set("Authorization", "Bearer "+s.paymentsKey)
	req.Header.Set("Idempotency-Key", orderID)
	resp, err := s.payments.Do(req)
	if err != nil {
		return "", true, fmt.Errorf("payments: %w", err) // no answer: retry
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 500:
		return "", true, fmt.Errorf("payments answered %s", resp.Status)
	case resp.StatusCode != http.StatusOK:
		return "", false, fmt.Errorf("%w: %s", errPayments, resp.Status)
	}
	var c struct {
		ChargeID string `json:"charge_id"`
		Status   string `json:"status"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil || c.ChargeID == "" {
		if err == nil {
			err = errors.New("no charge_id")
		}
		// payments answered 200, so no span failed: say what went wrong,
		// or the trace would show a healthy call and a failed order.
		return "", false, instrument.MarkCause(fmt.Errorf("payments: undecodable answer: %w", err), vocab.CauseBadResponse)
	}
	return c.ChargeID, false, nil
}

// fail records err on the server span and answers: 504 when a deadline
// passed, 502 otherwise, since every failure here is a dependency's.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	instrument.RecordError(r.Context(), err)
	slog.ErrorContext(r.Context(), "order failed", "err", err)
	status := http.StatusBadGateway
	if errors.Is(err, context.DeadlineExceeded) {
		status = http.StatusGatewayTimeout
	}
	writeJSON(w, status, map[string]string{"error": "orders: " + err.Error()})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// migrate creates the orders table when missing.
func migrate(ctx context.Context, db *sql.DB, schema string) error {
	stmts := []string{`CREATE TABLE IF NOT EXISTS orders (
		id           TEXT PRIMARY KEY,
		item_id      BIGINT NOT NULL,
		qty          BIGINT NOT NULL,
		amount_cents BIGINT NOT NULL,
		status       TEXT NOT NULL,
		charge_id    TEXT,
		created_at   TEXT NOT NULL
	)`}
	if schema != "" { // PostgreSQL: the table lives in the service's schema
		stmts = append([]string{`CREATE SCHEMA IF NOT EXISTS "` + schema + `"`}, stmts...)
	}
	for _, q := range stmts {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}
