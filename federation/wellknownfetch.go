package federation

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/valyala/fasthttp"
)

// HTTPSWellKnown fetches /.well-known/matrix/server over HTTPS on port 443,
// following up to 5 redirects (server-server-api "Resolving server names",
// step 3).
type HTTPSWellKnown struct {
	client *fasthttp.Client
}

// NewHTTPSWellKnown returns a fetcher verifying certificates against roots
// (nil: system roots) unless insecure.
func NewHTTPSWellKnown(roots *x509.CertPool, insecure bool) *HTTPSWellKnown {
	return &HTTPSWellKnown{client: &fasthttp.Client{
		Name:                "Axon",
		TLSConfig:           &tls.Config{RootCAs: roots, InsecureSkipVerify: insecure, MinVersion: tls.VersionTLS12}, //nolint:gosec // explicit configuration
		MaxResponseBodySize: maxWellKnownBody,
		ReadTimeout:         10 * time.Second,
		WriteTimeout:        10 * time.Second,
		MaxConnsPerHost:     2,
		MaxIdleConnDuration: 10 * time.Second,
	}}
}

// FetchWellKnown implements WellKnownFetcher. The client's 10-second read
// and write timeouts bound it; fasthttp's redirecting call takes no context.
func (w *HTTPSWellKnown) FetchWellKnown(_ context.Context, host string) ([]byte, string, string, error) {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI("https://" + host + "/.well-known/matrix/server")
	if err := w.client.DoRedirects(req, resp, 5); err != nil {
		return nil, "", "", fmt.Errorf("%w: %w", ErrBadWellKnown, err)
	}
	if resp.StatusCode() != fasthttp.StatusOK {
		return nil, "", "", fmt.Errorf("%w: HTTP %d", ErrBadWellKnown, resp.StatusCode())
	}
	return append([]byte(nil), resp.Body()...), string(resp.Header.Peek("Cache-Control")), string(resp.Header.Peek("Expires")), nil
}
