package exporters

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"
)

// otlpSettings is what the OTEL_EXPORTER_OTLP_* variables say about where
// and how to send spans, read as the Go SDK's OTLP exporters read them
// (otlptracegrpc and otlptracehttp v1.47.0): each OTEL_EXPORTER_OTLP_TRACES_*
// variable overrides its OTEL_EXPORTER_OTLP_* twin. Unlike the SDK, which
// reports a malformed value to the global error handler and goes on
// without it, Setup refuses one, naming the variable.
type otlpSettings struct {
	// target is the gRPC target (host:port, or a unix: URL); url the
	// OTLP/HTTP URL, path included.
	target   string
	url      string
	insecure bool
	tls      *tls.Config // nil: the system's roots, no client certificate
	headers  http.Header
	gzip     bool
	timeout  time.Duration
}

const (
	envOTLPPrefix       = "OTEL_EXPORTER_OTLP_"
	envOTLPTracesPrefix = "OTEL_EXPORTER_OTLP_TRACES_"

	defaultGRPCTarget = "localhost:4317"
	defaultHTTPHost   = "localhost:4318"
	tracesURLPath     = "/v1/traces"
	defaultTimeout    = 10 * time.Second
)

// otlpEnv returns the value of OTEL_EXPORTER_OTLP_TRACES_<name>, or of
// OTEL_EXPORTER_OTLP_<name>, with the variable it came from.
func otlpEnv(name string) (value, from string) {
	for _, v := range []string{envOTLPTracesPrefix + name, envOTLPPrefix + name} {
		if s := strings.TrimSpace(os.Getenv(v)); s != "" {
			return s, v
		}
	}
	return "", ""
}

// readOTLPSettings reads the settings for protocol (protocolGRPC or
// protocolHTTPProtobuf) from the environment.
func readOTLPSettings(protocol string) (otlpSettings, error) {
	s := otlpSettings{timeout: defaultTimeout, headers: http.Header{}}
	if err := s.readEndpoint(protocol); err != nil {
		return s, err
	}
	// INSECURE comes after the endpoint's scheme, and wins over it, as in
	// the SDK.
	for _, v := range []string{envOTLPPrefix + "INSECURE", envOTLPTracesPrefix + "INSECURE"} {
		if raw := strings.TrimSpace(os.Getenv(v)); raw != "" {
			b, err := strconv.ParseBool(raw)
			if err != nil {
				return s, fmt.Errorf("exporters: %s=%q: want true or false", v, raw)
			}
			s.insecure = b
		}
	}
	if protocol == protocolHTTPProtobuf {
		// The URL's scheme follows: INSECURE=true sends an https:// URL
		// as http://, false an http:// one as https://.
		u, _ := url.Parse(s.url)
		u.Scheme = "https"
		if s.insecure {
			u.Scheme = "http"
		}
		s.url = u.String()
	}
	if err := s.readTLS(); err != nil {
		return s, err
	}
	// As in the SDK, the traces' headers replace the others, not add to them.
	if raw, from := otlpEnv("HEADERS"); raw != "" {
		if err := parseHeaders(s.headers, from, raw); err != nil {
			return s, err
		}
	}
	if raw, from := otlpEnv("COMPRESSION"); raw != "" {
		switch raw {
		case "gzip":
			s.gzip = true
		case "none":
		default:
			return s, fmt.Errorf("exporters: %s=%q is not supported; accepted values: \"gzip\", \"none\"", from, raw)
		}
	}
	if raw, from := otlpEnv("TIMEOUT"); raw != "" {
		ms, err := strconv.Atoi(raw)
		if err != nil || ms <= 0 {
			return s, fmt.Errorf("exporters: %s=%q: want a positive number of milliseconds", from, raw)
		}
		s.timeout = time.Duration(ms) * time.Millisecond
	}
	return s, nil
}

// readEndpoint sets target or url, and insecure from the URL's scheme
// (http and unix are insecure). OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used
// as it is; OTEL_EXPORTER_OTLP_ENDPOINT is a base to which OTLP/HTTP adds
// /v1/traces.
func (s *otlpSettings) readEndpoint(protocol string) error {
	raw, from := otlpEnv("ENDPOINT")
	if raw == "" {
		s.target, s.url = defaultGRPCTarget, "https://"+defaultHTTPHost+tracesURLPath
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("exporters: %s=%q: %v", from, raw, err)
	}
	scheme := strings.ToLower(u.Scheme)
	s.insecure = scheme == "http" || scheme == "unix"
	if protocol == protocolGRPC {
		switch scheme {
		case "http", "https":
			s.target = u.Host
		case "":
			s.target = path.Join(u.Host, u.Path)
		default: // host:port parses as scheme "host"; unix:/path
			s.target = raw
		}
		return nil
	}
	if (scheme != "http" && scheme != "https") || u.Host == "" {
		return fmt.Errorf("exporters: %s=%q: OTLP/HTTP needs an http:// or https:// URL", from, raw)
	}
	if from == envOTLPPrefix+"ENDPOINT" {
		u.Path = path.Join(u.Path, tracesURLPath)
	} else if u.Path == "" {
		u.Path = "/"
	}
	s.url = u.String()
	return nil
}

// readTLS loads the CA certificate and the client certificate and key the
// CERTIFICATE, CLIENT_CERTIFICATE and CLIENT_KEY variables name.
func (s *otlpSettings) readTLS() error {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	set := false
	if file, from := otlpEnv("CERTIFICATE"); file != "" {
		pem, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("exporters: %s: %w", from, err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return fmt.Errorf("exporters: %s=%q: no PEM certificate in it", from, file)
		}
		set = true
	}
	cert, certFrom := otlpEnv("CLIENT_CERTIFICATE")
	key, keyFrom := otlpEnv("CLIENT_KEY")
	switch {
	case cert != "" && key != "":
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return fmt.Errorf("exporters: %s, %s: %w", certFrom, keyFrom, err)
		}
		cfg.Certificates = []tls.Certificate{pair}
		set = true
	case cert != "":
		return fmt.Errorf("exporters: %s is set but no %sCLIENT_KEY", certFrom, envOTLPPrefix)
	case key != "":
		return fmt.Errorf("exporters: %s is set but no %sCLIENT_CERTIFICATE", keyFrom, envOTLPPrefix)
	}
	if set {
		s.tls = cfg
	}
	return nil
}

// parseHeaders adds the name=value pairs of a HEADERS variable (W3C
// Baggage format: comma-separated, values percent-encoded) to h.
func parseHeaders(h http.Header, from, raw string) error {
	for pair := range strings.SplitSeq(raw, ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		name, value, ok := strings.Cut(pair, "=")
		name = strings.TrimSpace(name)
		if !ok || !httpguts.ValidHeaderFieldName(name) {
			return fmt.Errorf("exporters: %s: %q is not name=value with a valid header name", from, pair)
		}
		v, err := url.PathUnescape(value)
		if err != nil || !httpguts.ValidHeaderFieldValue(v) {
			return fmt.Errorf("exporters: %s: the value of %q is not a valid, percent-encoded header value", from, name)
		}
		h.Set(name, strings.TrimSpace(v))
	}
	return nil
}
