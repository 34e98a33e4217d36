// Command gateway is the demo shop's public edge, the only service users
// reach:
//
//	GET  /checkout?item=3&qty=1
//	POST /checkout  {"item":3,"qty":1}
//
// A checkout looks the item up and checks its stock at inventory, both at
// once, then places the order at orders. It answers 200 with the order, a
// 4xx the user can act on, or an error page.
//
// Being the public edge, its Handler is made WithPublicEdge: a 5xx never
// shows the user an internal message or header, only a safe page with the
// trace ID to quote (also in the Traceresponse header).
package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/failhop/failhop/examples/internal/demo"
	"github.com/failhop/failhop/exporters"
	"github.com/failhop/failhop/instrument"
	"github.com/failhop/failhop/tracelog"
)

func main() {
	addr := flag.String("addr", demo.Getenv("ADDR", "127.0.0.1:8080"), "listen address (env ADDR)")
	flag.Parse()

	// Logs carry trace_id and span_id: a log line leads to its trace.
	slog.SetDefault(slog.New(tracelog.NewHandler(slog.NewTextHandler(os.Stderr, nil))).With("service", "gateway"))
	if err := run(*addr); err != nil {
		slog.Error("gateway stopped", "err", err)
		os.Exit(1)
	}
}

func run(addr string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// Tracing: OTLP to OTEL_EXPORTER_OTLP_ENDPOINT, W3C propagation.
	shutdown, err := exporters.Setup(ctx,
		exporters.WithServiceName("gateway"),
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

	g := &gateway{
		// Outgoing calls: a client span each, and the trace context goes
		// along in the request headers.
		client:       &http.Client{Transport: instrument.Transport(nil)},
		inventoryURL: demo.Getenv("INVENTORY_URL", "http://127.0.0.1:8082"),
		ordersURL:    demo.Getenv("ORDERS_URL", "http://127.0.0.1:8081"),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /checkout", g.checkout)
	mux.HandleFunc("POST /checkout", g.checkout)

	// One server span per request, except health checks; and, since this
	// service faces the internet, safe error pages and no internal headers.
	handler := instrument.Handler(mux, "gateway",
		instrument.WithPublicEdge(),
		instrument.WithFilter(func(r *http.Request) bool { return r.URL.Path != "/healthz" }))

	srv := &http.Server{Addr: addr, Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	return demo.Serve(ctx, srv)
}

type gateway struct {
	client                  *http.Client
	inventoryURL, ordersURL string
}

type item struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	PriceCents int64  `json:"price_cents"`
}

func (g *gateway) checkout(w http.ResponseWriter, r *http.Request) {
	req, problem := readCheckout(r)
	if problem != "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": problem})
		return
	}

	// The whole checkout gets 10 seconds; the context carries the server
	// span, so every call below is its child.
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()

	// Fan-out: the item and its stock, at the same time.
	var (
		it       item
		stock    struct{ Qty int64 }
		wg       sync.WaitGroup
		errItem  error
		errStock error
	)
	wg.Go(func() {
		errItem = g.call(ctx, http.MethodGet, "/items/{id}", g.inventoryURL+"/items/"+strconv.FormatInt(req.Item, 10), nil, &it)
	})
	wg.Go(func() {
		errStock = g.call(ctx, http.MethodGet, "/items/{id}/stock", g.inventoryURL+"/items/"+strconv.FormatInt(req.Item, 10)+"/stock", nil, &stock)
	})
	wg.Wait()
	if err := errors.Join(errItem, errStock); err != nil {
		g.fail(w, r, err)
		return
	}
	if stock.Qty < req.Qty {
		writeJSON(w, http.StatusConflict, map[string]string{"error": "not enough in stock"})
		return
	}

	// Place the order: orders reserves the stock and charges the payment.
	var order struct {
		OrderID  string `json:"order_id"`
		ChargeID string `json:"charge_id"`
	}
	total := it.PriceCents * req.Qty
	body := map[string]int64{"item_id": it.ID, "qty": req.Qty, "amount_cents": total}
	if err := g.call(ctx, http.MethodPost, "/orders", g.ordersURL+"/orders", body, &order); err != nil {
		g.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"order_id": order.OrderID, "item": it.Name, "qty": req.Qty, "total_cents": total,
	})
}

// checkoutRequest is what a checkout asks for.
type checkoutRequest struct {
	Item int64 `json:"item"`
	Qty  int64 `json:"qty"`
}

// readCheckout reads a checkout from a POST's JSON body or a GET's query
// (qty 1 if absent); problem says what is wrong with it, if anything.
func readCheckout(r *http.Request) (req checkoutRequest, problem string) {
	if r.Method == http.MethodPost {
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			return req, "want {item, qty}"
		}
	} else {
		req.Item, _ = strconv.ParseInt(r.URL.Query().Get("item"), 10, 64)
		req.Qty, _ = strconv.ParseInt(cmp.Or(r.URL.Query().Get("qty"), "1"), 10, 64)
	}
	if req.Item <= 0 || req.Qty <= 0 {
		return req, "item and qty must be positive numbers"
	}
	return req, ""
}

// statusError is a downstream answer that was not a success.
type statusError struct {
	url    string
	status int
}

func (e *statusError) Error() string { return fmt.Sprintf("%s answered %d", e.url, e.status) }

// call sends a JSON request (body may be nil) and decodes a 2xx answer
// into out. template is the URL's template ("/items/{id}"): the Transport
// names the call's span by it, so that a failing call is one hop whatever
// the ID.
func (g *gateway) call(ctx context.Context, method, template, url string, body, out any) error {
	var buf bytes.Buffer
	if body != nil {
		json.NewEncoder(&buf).Encode(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, &buf)
	if err != nil {
		return err
	}
	req.Pattern = template
	req.Header.Set("Content-Type", "application/json")
	resp, err := g.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return &statusError{url: url, status: resp.StatusCode}
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// fail answers an error: the downstream's 404 and 409 reach the user as
// they are; anything else is our failure, recorded on the server span and
// answered 504 (a deadline passed) or 502. The Handler replaces the body
// of a 5xx with the safe page, so the message never reaches the user.
func (g *gateway) fail(w http.ResponseWriter, r *http.Request, err error) {
	var se *statusError
	if errors.As(err, &se) && (se.status == http.StatusNotFound || se.status == http.StatusConflict) {
		writeJSON(w, se.status, map[string]string{"error": http.StatusText(se.status)})
		return
	}
	instrument.RecordError(r.Context(), err)
	slog.ErrorContext(r.Context(), "checkout failed", "err", err)
	status := http.StatusBadGateway
	if errors.Is(err, context.DeadlineExceeded) || (se != nil && se.status == http.StatusGatewayTimeout) {
		status = http.StatusGatewayTimeout
	}
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
