// Package localonly keeps the HTTP servers that failhop runs on a
// developer's machine (failhop serve's page, failhop mcp --listen) to
// requests addressed to them by an IP address or localhost. A page of
// another site whose name was made to point at 127.0.0.1 (DNS rebinding)
// sends its requests with its own name in the Host header: without this
// check, it would read the traces as if it were a local client.
package localonly

import (
	"net"
	"net/http"
	"strings"
)

// Handler answers the requests whose Host header is an IP address or
// localhost with h, and the others with 421 Misdirected Request and a
// sentence that names server ("failhop serve").
func Handler(h http.Handler, server string) http.Handler {
	msg := server + " answers requests for an IP address or localhost only: open it by one of those"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !Host(r.Host) {
			http.Error(w, msg, http.StatusMisdirectedRequest)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Host reports whether host (a Host header: name or address, with or
// without a port) is an IP address or localhost.
func Host(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	return net.ParseIP(host) != nil || host == "localhost" || strings.HasSuffix(host, ".localhost")
}
