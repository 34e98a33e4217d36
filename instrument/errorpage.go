package instrument

import (
	"encoding/json"
	"html/template"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// errorPage is what a user sees instead of a failed response: the status,
// a generic sentence and the trace ID to quote. It never carries error text,
// a stack or an internal name.
type errorPage struct {
	Status    int    `json:"status"`
	Error     string `json:"error"`
	Message   string `json:"message"`
	Reference string `json:"reference,omitempty"`
}

func newErrorPage(status int, traceID string) errorPage {
	return errorPage{
		Status:    status,
		Error:     http.StatusText(status),
		Message:   "The server could not complete the request. If you contact support, quote the reference.",
		Reference: traceID,
	}
}

var errorPageHTML = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Status}} {{.Error}}</title></head>
<body><h1>{{.Error}}</h1><p>{{.Message}}</p>
{{if .Reference}}<p>Reference: <code>{{.Reference}}</code></p>{{end}}
</body></html>
`))

// write sends the page as HTML or JSON, whichever the request's Accept
// header prefers (HTML when it does not say).
func (p errorPage) write(w http.ResponseWriter, accept string) {
	h := w.Header()
	for _, k := range []string{"Content-Length", "Content-Encoding", "Content-Disposition", "Content-Range", "Etag", "Last-Modified"} {
		h.Del(k)
	}
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if prefersJSON(accept) {
		h.Set("Content-Type", "application/json")
		w.WriteHeader(p.Status)
		_ = json.NewEncoder(w).Encode(p)
		return
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(p.Status)
	_ = errorPageHTML.Execute(w, p)
}

// prefersJSON reports whether an Accept header value ranks a JSON media type
// above HTML. Only explicit types count: "application/json, */*" (what most
// HTTP client libraries send) asks for JSON, while a browser's list, which
// names text/html first, gets HTML. Malformed entries are skipped.
func prefersJSON(accept string) bool {
	var jsonQ, htmlQ float64 = -1, -1
	for entry := range strings.SplitSeq(accept, ",") {
		mediaType, params, err := mime.ParseMediaType(strings.TrimSpace(entry))
		if err != nil {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if q, err = strconv.ParseFloat(v, 64); err != nil || q < 0 || q > 1 {
				continue
			}
		}
		switch {
		case mediaType == "application/json" || strings.HasSuffix(mediaType, "+json"):
			jsonQ = max(jsonQ, q)
		case mediaType == "text/html":
			htmlQ = max(htmlQ, q)
		}
	}
	return jsonQ > 0 && jsonQ > htmlQ
}
