package instrument

import (
	"net/http"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// SetRoute tells the [Handler] serving r which route template of a router
// matched it, such as "/items/{id}" or "/items/:id": the server span is
// named "GET /items/{id}" and gets http.route, and otelhttp's metrics
// (http.server.request.duration...) get http.route through otelhttp's
// Labeler. Without it, a request a router other than net/http's ServeMux
// served has a server span named by its method alone, and every failing
// route of a service makes one hop, "GET".
//
// Routers call it from a middleware, once they have matched the request
// (the adapters instrumentchi, instrumentmux, instrumentgin and
// instrumentecho do); r is the request the router hands on, whose context
// leads to the Handler's. The template must be the router's, never the
// request's path: a path holds IDs, and each would become a span name and
// a metric series of its own. Call it only for a matched route: an empty
// template, and a request outside a Handler or otelhttp handler, change
// nothing. When called more than once, the last template wins.
//
// The failure marks do not depend on it: a Handler marks a 5xx or a panic
// whether or not the route is known. Under a bare otelhttp handler,
// SetRoute names the span in r's context and adds to otelhttp's Labeler
// just the same.
func SetRoute(r *http.Request, template string) {
	if template == "" {
		return
	}
	ctx := r.Context()
	span := trace.SpanFromContext(ctx)
	if x, ok := ctx.Value(exchangeKey{}).(*exchange); ok && x.span != nil {
		span, x.route = x.span, template // the server span, even under a child span
	}
	if l, ok := otelhttp.LabelerFromContext(ctx); ok {
		l.Add(semconv.HTTPRoute(template))
	}
	if span.IsRecording() {
		span.SetName(spanName(r.Method, template))
		span.SetAttributes(semconv.HTTPRoute(template))
	}
}

// spanName is a server span's name as otelhttp makes it, from the method
// and a route: an unknown method is "HTTP", so that it makes no name of
// its own.
func spanName(method, template string) string {
	switch method = strings.ToUpper(method); method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
	default:
		method = "HTTP"
	}
	return method + " " + template
}

// settleRoute leaves the route on the server span once the handler has
// returned: the template given to SetRoute, else the pattern a ServeMux
// matched (otelhttp names the span from that pattern, but sets http.route
// only from what was known when the request came in). otelhttp renames the
// span from r.Pattern after the handler when it is not empty, as it is
// for a router mounted on a ServeMux: it then gets the template, so that
// the span's name and the metrics' http.route stay the router's.
func (x *exchange) settleRoute(r *http.Request) {
	switch {
	case x.route != "":
		if r.Pattern != "" {
			r.Pattern = x.route
		}
	case r.Pattern != "" && x.span.IsRecording():
		x.span.SetAttributes(semconv.HTTPRoute(route(r.Pattern)))
	}
}

// route returns the path template of a ServeMux pattern such as
// "GET example.com/items/{id}": "/items/{id}".
func route(pattern string) string {
	if _, after, ok := strings.Cut(pattern, " "); ok {
		pattern = after
	}
	if i := strings.IndexByte(pattern, '/'); i > 0 {
		pattern = pattern[i:]
	}
	return pattern
}
