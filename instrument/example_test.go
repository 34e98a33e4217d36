package instrument_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/failhop/failhop/instrument"
	"github.com/failhop/failhop/vocab"
)

// A service wraps its mux with Handler and its outbound client with
// Transport; the client must be called with the request's context so that
// the client span joins the trace and reports failures to the server span.
func ExampleHandler() {
	payments := &http.Client{Transport: instrument.Transport(nil)}

	mux := http.NewServeMux()
	mux.HandleFunc("POST /orders", func(w http.ResponseWriter, r *http.Request) {
		req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, "http://payments:8080/charge", nil)
		if err != nil {
			instrument.RecordError(r.Context(), err)
			w.WriteHeader(http.StatusInternalServerError) // answered with the safe error page
			return
		}
		resp, err := payments.Do(req)
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
	})
	_ = http.ListenAndServe(":8080", instrument.Handler(mux, "orders", instrument.WithPublicEdge()))
}

// A router other than ServeMux tells the Handler which of its routes a
// request matched, from code that runs once it has routed: the server span
// is then "GET /items/{id}", not "GET". Packages instrumentchi,
// instrumentmux, instrumentgin and instrumentecho do it in a middleware
// for their router; without one, the handler of a route can say it.
func ExampleSetRoute() {
	item := func(w http.ResponseWriter, r *http.Request) {
		instrument.SetRoute(r, "/items/{id}") // the route's template, never r.URL.Path: paths hold IDs
		w.WriteHeader(http.StatusOK)
	}
	var router http.Handler = http.HandlerFunc(item) // your router, serving item for GET /items/{id}
	_ = http.ListenAndServe(":8080", instrument.Handler(router, "inventory"))
}

// MarkCause tells failhop what kind of failure an error is, where the code
// knows better than a guess: here, a downstream answer that could not be used.
func ExampleMarkCause() {
	err := instrument.MarkCause(errors.New("payments: reply is not JSON"), vocab.CauseBadResponse)
	fmt.Println(err)
	// Output: payments: reply is not JSON
}

// A service that sets OpenTelemetry up itself, with a tracer provider that
// is not the global one, gives the provider to each wrapper (the README's
// Quick start, step 6). With a global provider, nothing is needed.
func ExampleWithTracerProvider() {
	tp := sdktrace.NewTracerProvider() // yours, with an exporter that sends to failhop's collector
	mux := http.NewServeMux()

	opt := instrument.WithTracerProvider(tp)
	handler := instrument.Handler(mux, "orders", opt)
	payments := &http.Client{Transport: instrument.Transport(nil, opt, instrument.WithPeerService("payments"))}
	db, err := instrument.OpenDB("sqlite", "orders.db", opt)
	if err != nil {
		log.Fatal(err)
	}
	defer tp.Shutdown(context.Background()) // sends the spans still queued
	defer db.Close()
	_, _ = handler, payments // served and called as in the Quick start
}
