// Command payments stands in for a third-party payment API in the demo shop:
//
//	POST /charge  {"order_id":"...","amount_cents":900} -> {"charge_id":"...","status":"succeeded"}
//
// Callers authenticate with "Authorization: Bearer <PAYMENTS_API_KEY>" and
// may send an Idempotency-Key header: a repeated key gets the first answer
// back instead of a second charge.
//
// Demo fault switches (read at start): PAYMENTS_BREAK_BODY=1 answers a body
// that is not valid JSON; PAYMENTS_FAIL_FIRST=1 answers 503 to the first
// attempt of each idempotency key, as a flaky provider would.
package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"flag"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/failhop/failhop/examples/internal/demo"
	"github.com/failhop/failhop/exporters"
	"github.com/failhop/failhop/instrument"
	"github.com/failhop/failhop/tracelog"
)

func main() {
	addr := flag.String("addr", demo.Getenv("ADDR", ":8083"), "listen address (env ADDR)")
	flag.Parse()

	slog.SetDefault(slog.New(tracelog.NewHandler(slog.NewTextHandler(os.Stderr, nil))).With("service", "payments"))
	if err := run(*addr); err != nil {
		slog.Error("payments stopped", "err", err)
		os.Exit(1)
	}
}

func run(addr string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	key := os.Getenv("PAYMENTS_API_KEY")
	if key == "" {
		return errors.New("PAYMENTS_API_KEY is not set")
	}

	shutdown, err := exporters.Setup(ctx,
		exporters.WithServiceName("payments"),
		exporters.WithServiceVersion(demo.Getenv("SERVICE_VERSION", "1.0.0")))
	if err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := shutdown(ctx); err != nil {
			slog.Warn("traces not flushed", "err", err)
		}
	}()

	p := &provider{
		key:       []byte(key),
		charges:   map[string]charge{},
		breakBody: os.Getenv("PAYMENTS_BREAK_BODY") == "1",
		failFirst: os.Getenv("PAYMENTS_FAIL_FIRST") == "1",
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("POST /charge", p.charge)

	handler := instrument.Handler(mux, "payments", instrument.WithFilter(func(r *http.Request) bool {
		return r.URL.Path != "/healthz"
	}))
	srv := &http.Server{Addr: addr, Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	return demo.Serve(ctx, srv)
}

type charge struct {
	ChargeID    string `json:"charge_id"`
	OrderID     string `json:"order_id"`
	AmountCents int64  `json:"amount_cents"`
	Status      string `json:"status"`
}

type provider struct {
	key []byte

	mu       sync.Mutex
	charges  map[string]charge // by idempotency key
	attempts map[string]int    // by idempotency key, for PAYMENTS_FAIL_FIRST

	breakBody bool // demo fault switch: PAYMENTS_BREAK_BODY
	failFirst bool // demo fault switch: PAYMENTS_FAIL_FIRST
}

func (p *provider) authorized(r *http.Request) bool {
	const prefix = "Bearer "
	h := r.Header.Get("Authorization")
	if len(h) <= len(prefix) || h[:len(prefix)] != prefix {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(h[len(prefix):]), p.key) == 1
}

func (p *provider) charge(w http.ResponseWriter, r *http.Request) {
	if !p.authorized(r) {
		// Say nothing about the key we expected.
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized"})
		return
	}
	var req struct {
		OrderID     string `json:"order_id"`
		AmountCents int64  `json:"amount_cents"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.OrderID == "" || req.AmountCents <= 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "want {order_id, amount_cents > 0}"})
		return
	}
	idem := r.Header.Get("Idempotency-Key")

	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.charges[idem]; ok && idem != "" {
		writeJSON(w, http.StatusOK, c) // a retry: same answer, no second charge
		return
	}
	if p.failFirst && idem != "" {
		if p.attempts == nil {
			p.attempts = map[string]int{}
		}
		if p.attempts[idem]++; p.attempts[idem] == 1 {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "try again"})
			return
		}
	}
	c := charge{ChargeID: "ch_" + rand.Text()[:16], OrderID: req.OrderID, AmountCents: req.AmountCents, Status: "succeeded"}
	if idem != "" {
		p.charges[idem] = c
	}
	if p.breakBody {
		// A provider release that cut its answers short.
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"charge_id":"` + c.ChargeID + `","sta`))
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
