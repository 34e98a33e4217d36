package analyzer

import (
	"cmp"
	"strings"
)

// evidenceKeys are the attributes that explain a failure, in the order a
// report shows them: each entry is the semantic conventions' current key,
// then the older keys that instrumentations still write.
var evidenceKeys = [][]string{
	{"db.query.text", "db.statement"},
	{"db.response.status_code"},
	{"url.full", "http.url"},
	{"url.template"},
	{"http.route"},
	{"server.address", "net.peer.name"},
	{"server.port", "net.peer.port"},
	{"http.response.status_code", "http.status_code"},
	{"rpc.grpc.status_code", "rpc.response.status_code"},
	{"error.type"},
	{"messaging.system"},
	{"messaging.destination.name", "messaging.destination"},
	{"messaging.operation.type", "messaging.operation"},
}

// maxEvidenceValue bounds a value of Hop.Evidence; the span has all of it.
const maxEvidenceValue = 1000

// keyAttributes returns the attributes of s that evidenceKeys names, under the
// key the span used. A URL loses its query, fragment and user info, which
// may hold secrets.
func keyAttributes(s *Span) []Attribute {
	var out []Attribute
	for _, keys := range evidenceKeys {
		for _, k := range keys {
			v := s.Attr(k)
			if v == "" {
				continue
			}
			if k == "url.full" || k == "http.url" {
				v = withoutSecrets(v)
			}
			if len(v) > maxEvidenceValue {
				v = v[:maxEvidenceValue] + "…"
			}
			out = append(out, Attribute{Key: k, Value: v})
			break
		}
	}
	return out
}

// withoutSecrets returns a URL without its user info, query and fragment.
func withoutSecrets(u string) string {
	scheme, _, ok := strings.Cut(u, "://")
	if !ok {
		u, _, _ = strings.Cut(u, "?")
		return u
	}
	host, path := urlParts(u)
	return scheme + "://" + host + path
}

// callSite returns where the span says its call was made: the function,
// and the file and line, from code.function.name, code.file.path and
// code.line.number (or their older names).
func callSite(s *Span) string {
	fn := cmp.Or(s.Attr("code.function.name"), s.Attr("code.function"))
	file := cmp.Or(s.Attr("code.file.path"), s.Attr("code.filepath"))
	if line := cmp.Or(s.Attr("code.line.number"), s.Attr("code.lineno")); file != "" && line != "" {
		file += ":" + line
	}
	return strings.TrimSpace(fn + " " + file)
}
