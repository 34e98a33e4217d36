package failhopsampler

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"
)

// serve serves c's metrics on endpoint (/metrics) until the returned
// server is shut down; a taken port is an error naming it.
func serve(endpoint string, c *counter, logger *zap.Logger) (*http.Server, error) {
	ln, err := net.Listen("tcp", endpoint)
	if err != nil {
		return nil, fmt.Errorf("failhop_sampler: serving the failure metrics on %s: %w (move them with FAILHOP_METRICS_ENDPOINT)", endpoint, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", c.handler)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			logger.Error("failhop_sampler: the failure metrics stopped serving", zap.Error(err))
		}
	}()
	logger.Info("failhop_sampler: serving the failure metrics", zap.String("url", "http://"+ln.Addr().String()+"/metrics"))
	return srv, nil
}
