package federation

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/rooms/signing"
)

// ClientConfig configures NewClient.
type ClientConfig struct {
	// ServerName and Key sign every request (X-Matrix).
	ServerName string
	Key        signing.KeyPair
	Resolver   *Resolver
	// RootCAs verify peers' certificates; nil means the system roots (which
	// include SSL_CERT_FILE). LoadRootCAs adds a CA file to them.
	RootCAs *x509.CertPool
	// InsecureSkipVerify turns certificate checks off. The caller must log
	// it loudly: responses are then authenticated by nothing.
	InsecureSkipVerify bool
	// MaxConns bounds open connections to all destinations together
	// (default 512); MaxConnsPerHost bounds them per destination (default
	// 8); MaxInFlight bounds requests in progress (default 1024). Hundreds
	// of destinations must not exhaust file descriptors.
	MaxConns        int
	MaxConnsPerHost int
	MaxInFlight     int
	// Timeout bounds one request when the context has no earlier deadline
	// (default 60s); DialTimeout bounds connecting (default 10s).
	Timeout     time.Duration
	DialTimeout time.Duration
	// MaxResponseBody is the largest response body accepted (default 16 MiB).
	MaxResponseBody int
	// MaxHosts bounds the per-destination connection pools kept (default
	// 4096); beyond it idle pools are dropped.
	MaxHosts int
}

// Client makes signed requests to other servers over fasthttp, reusing
// connections per destination.
type Client struct {
	cfg      ClientConfig
	inflight chan struct{}
	conns    chan struct{}
	open     atomic.Int64

	mu    sync.Mutex
	hosts map[Destination]*fasthttp.HostClient
}

// NewClient returns a Client.
func NewClient(cfg ClientConfig) *Client {
	if cfg.Resolver == nil {
		cfg.Resolver = NewResolver(ResolverConfig{})
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = 512
	}
	if cfg.MaxConnsPerHost <= 0 {
		cfg.MaxConnsPerHost = 8
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 1024
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 10 * time.Second
	}
	if cfg.MaxResponseBody <= 0 {
		cfg.MaxResponseBody = 16 << 20
	}
	if cfg.MaxHosts <= 0 {
		cfg.MaxHosts = 4096
	}
	return &Client{cfg: cfg, inflight: make(chan struct{}, cfg.MaxInFlight),
		conns: make(chan struct{}, cfg.MaxConns), hosts: map[Destination]*fasthttp.HostClient{}}
}

// LoadRootCAs returns the system roots (with SSL_CERT_FILE) plus the PEM
// certificates in caPEM, the contents of federation_ca_file.
func LoadRootCAs(caPEM []byte) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if len(caPEM) > 0 && !pool.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("federation: CA file holds no PEM certificate")
	}
	return pool, nil
}

// OpenConns is the number of open outbound connections.
func (c *Client) OpenConns() int { return int(c.open.Load()) }

// Error is a Matrix error returned by a remote server.
type Error struct {
	Status  int
	Code    string `json:"errcode"`
	Message string `json:"error"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("federation: remote answered %d %s: %s", e.Status, e.Code, e.Message)
}

// Unwrap lets errors.Is(err, ErrRemote) match.
func (e *Error) Unwrap() error { return ErrRemote }

// Get sends a signed GET of uri (path and query) to destination and
// decodes a 200 answer into out (nil: ignore the body).
func (c *Client) Get(ctx context.Context, destination, uri string, out any) error {
	return c.call(ctx, fasthttp.MethodGet, destination, uri, nil, out)
}

// Put sends body (encoded as JSON) with a signed PUT.
func (c *Client) Put(ctx context.Context, destination, uri string, body, out any) error {
	return c.call(ctx, fasthttp.MethodPut, destination, uri, body, out)
}

// Post sends body (encoded as JSON) with a signed POST.
func (c *Client) Post(ctx context.Context, destination, uri string, body, out any) error {
	return c.call(ctx, fasthttp.MethodPost, destination, uri, body, out)
}

// SendResult is the answer to PUT /_matrix/federation/v1/send/{txnId}: the
// outcome per PDU, an empty object for success.
type SendResult struct {
	PDUs map[string]struct {
		Error string `json:"error,omitempty"`
	} `json:"pdus"`
}

// SendTransaction sends one transaction (server-server-api
// "Transactions"); body is its JSON (origin, origin_server_ts, pdus, edus).
// The txnID is sent path-escaped.
func (c *Client) SendTransaction(ctx context.Context, destination, txnID string, body json.RawMessage) (SendResult, error) {
	var res SendResult
	err := c.call(ctx, fasthttp.MethodPut, destination, "/_matrix/federation/v1/send/"+pathEscape(txnID), body, &res)
	return res, err
}

// FetchServerKeys implements KeyFetcher (GET /_matrix/key/v2/server,
// unsigned: the keys endpoints need no authentication).
func (c *Client) FetchServerKeys(ctx context.Context, server string) ([]byte, error) {
	status, body, err := c.Do(ctx, fasthttp.MethodGet, server, "/_matrix/key/v2/server", nil, false)
	if err != nil {
		return nil, err
	}
	return body, remoteError(status, body)
}

// QueryNotary implements KeyFetcher (POST /_matrix/key/v2/query).
func (c *Client) QueryNotary(ctx context.Context, notary string, query []byte) ([]byte, error) {
	status, body, err := c.Do(ctx, fasthttp.MethodPost, notary, "/_matrix/key/v2/query", query, false)
	if err != nil {
		return nil, err
	}
	return body, remoteError(status, body)
}

func (c *Client) call(ctx context.Context, method, destination, uri string, body, out any) error {
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return fmt.Errorf("federation: encoding request: %w", err)
		}
	}
	status, resp, err := c.Do(ctx, method, destination, uri, raw, true)
	if err != nil {
		return err
	}
	if err := remoteError(status, resp); err != nil {
		return err
	}
	if out != nil {
		if err := json.Unmarshal(resp, out); err != nil {
			return fmt.Errorf("%w: undecodable answer from %s: %w", ErrRemote, destination, err)
		}
	}
	return nil
}

// remoteError turns a non-2xx answer into an *Error.
func remoteError(status int, body []byte) error {
	if status >= 200 && status < 300 {
		return nil
	}
	e := &Error{Status: status}
	if json.Unmarshal(body, e) != nil || e.Code == "" {
		e.Code = "M_UNKNOWN"
		e.Message = fmt.Sprintf("HTTP %d", status)
	}
	return e
}

// Do sends one request and returns the status and a copy of the body. uri
// is the path with query as it must appear on the wire (already escaped);
// signed adds the X-Matrix Authorization header.
func (c *Client) Do(ctx context.Context, method, destination, uri string, body []byte, signed bool) (int, []byte, error) {
	var sign requestSigner
	if signed {
		sign = func(requestURI string) (string, error) {
			return SignRequest(c.cfg.Key, c.cfg.ServerName, destination, method, requestURI, body)
		}
	}
	return c.do(ctx, method, destination, uri, body, sign, 0)
}

// requestSigner returns the Authorization header for the request URI as
// it goes on the wire.
type requestSigner func(requestURI string) (string, error)

// do sends one request under the in-flight bound, within the context's
// deadline or the client's timeout, whichever is sooner; sign, when set,
// signs it. With largeAnswer 0 it goes through the destination's pool
// and its answer is limited as the pool's are; otherwise it uses a
// connection of its own, closed afterwards, and accepts an answer of up
// to largeAnswer bytes (a send_join answer: rare, and far larger than
// any other).
func (c *Client) do(ctx context.Context, method, destination, uri string, body []byte, sign requestSigner, largeAnswer int) (int, []byte, error) {
	select {
	case c.inflight <- struct{}{}:
		defer func() { <-c.inflight }()
	case <-ctx.Done():
		return 0, nil, ctx.Err()
	}
	dest, err := c.cfg.Resolver.Resolve(ctx, destination)
	if err != nil {
		return 0, nil, err
	}
	var hc *fasthttp.HostClient
	if largeAnswer == 0 {
		hc = c.hostClient(dest)
	} else {
		hc = c.newHostClient(dest)
		hc.MaxConns = 1
		hc.MaxResponseBodySize = largeAnswer
		hc.ReadBufferSize = 64 << 10
		defer hc.CloseIdleConnections()
	}

	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI("https://" + dest.Host + uri)
	// Set after SetRequestURI, which resets it: %2F must stay encoded, as
	// the signature covers the target exactly as sent.
	req.URI().DisablePathNormalizing = true
	req.Header.SetMethod(method)
	req.Header.SetHost(dest.Host)
	if body != nil {
		req.Header.SetContentType("application/json")
		req.SetBodyRaw(body) // body outlives the request: this call waits for it
	}
	if sign != nil {
		auth, err := sign(string(req.URI().RequestURI()))
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set(fasthttp.HeaderAuthorization, auth)
	}
	deadline := time.Now().Add(c.cfg.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := hc.DoDeadline(req, resp, deadline); err != nil {
		if errors.Is(err, fasthttp.ErrBodyTooLarge) {
			return 0, nil, fmt.Errorf("%w: from %s", ErrResponseTooLarge, destination)
		}
		return 0, nil, fmt.Errorf("federation: %s %s to %s: %w", method, uri, destination, err)
	}
	if largeAnswer > 0 {
		// Take the body's buffer rather than copying tens of megabytes.
		return resp.StatusCode(), resp.SwapBody(nil), nil
	}
	return resp.StatusCode(), append([]byte(nil), resp.Body()...), nil
}

// hostClient returns the connection pool for dest, creating it if needed.
func (c *Client) hostClient(dest Destination) *fasthttp.HostClient {
	c.mu.Lock()
	defer c.mu.Unlock()
	if hc, ok := c.hosts[dest]; ok {
		return hc
	}
	if len(c.hosts) >= c.cfg.MaxHosts {
		for d, hc := range c.hosts {
			hc.CloseIdleConnections()
			delete(c.hosts, d)
			if len(c.hosts) < c.cfg.MaxHosts/2 {
				break
			}
		}
	}
	hc := c.newHostClient(dest)
	c.hosts[dest] = hc
	return hc
}

// newHostClient is a connection pool for dest: TLS checked against dest's
// SNI (or IP literal), connections under the global bound, handshakes
// within the request's deadline.
func (c *Client) newHostClient(dest Destination) *fasthttp.HostClient {
	hc := &fasthttp.HostClient{
		Addr:  dest.Addr,
		Name:  "Axon",
		IsTLS: true,
		TLSConfig: &tls.Config{
			ServerName:         dest.SNI,
			RootCAs:            c.cfg.RootCAs,
			InsecureSkipVerify: c.cfg.InsecureSkipVerify, //nolint:gosec // explicit, loudly logged configuration
			MinVersion:         tls.VersionTLS12,
		},
		MaxConns:               c.cfg.MaxConnsPerHost,
		MaxIdleConnDuration:    30 * time.Second,
		ReadTimeout:            c.cfg.Timeout,
		WriteTimeout:           c.cfg.Timeout,
		MaxResponseBodySize:    c.cfg.MaxResponseBody,
		DisablePathNormalizing: true,
		MaxConnWaitTimeout:     c.cfg.DialTimeout,
	}
	if dest.SNI == "" {
		// An IP literal: Go checks the certificate's IP addresses when
		// ServerName is the IP itself.
		host, _, _ := net.SplitHostPort(dest.Addr)
		hc.TLSConfig.ServerName = host
	}
	tlsConfig := hc.TLSConfig
	hc.DialTimeout = func(addr string, timeout time.Duration) (net.Conn, error) {
		return c.dialTLS(addr, timeout, tlsConfig)
	}
	return hc
}

// dialTLS connects and completes the TLS handshake within timeout, what is
// left of the request's deadline. fasthttp would bound its own handshake
// by the write timeout instead, so a peer that accepts connections and
// never answers would hold a short request for the whole write timeout; a
// connection that has done its handshake is used as it is.
func (c *Client) dialTLS(addr string, timeout time.Duration, cfg *tls.Config) (net.Conn, error) {
	if timeout <= 0 || timeout > c.cfg.DialTimeout {
		timeout = c.cfg.DialTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	raw, err := c.dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	conn := tls.Client(raw, cfg)
	if err := conn.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, fmt.Errorf("federation: TLS handshake with %s: %w", addr, err)
	}
	return conn, nil
}

// dial opens a connection under the global connection bound; the slot is
// released when the connection closes.
func (c *Client) dial(ctx context.Context, addr string) (net.Conn, error) {
	select {
	case c.conns <- struct{}{}:
	default:
		// Every slot is taken. Idle keep-alive connections to other
		// destinations would hold them for their whole idle timeout, so
		// close those, then wait for a slot.
		c.closeIdle()
		select {
		case c.conns <- struct{}{}:
		case <-ctx.Done():
			return nil, fmt.Errorf("%w (%d)", ErrTooManyConns, c.cfg.MaxConns)
		}
	}
	conn, err := (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext(ctx, "tcp", addr)
	if err != nil {
		<-c.conns
		return nil, err
	}
	c.open.Add(1)
	return &countedConn{Conn: conn, release: func() { c.open.Add(-1); <-c.conns }}, nil
}

// closeIdle closes the idle connections of every destination.
func (c *Client) closeIdle() {
	c.mu.Lock()
	hosts := make([]*fasthttp.HostClient, 0, len(c.hosts))
	for _, hc := range c.hosts {
		hosts = append(hosts, hc)
	}
	c.mu.Unlock()
	for _, hc := range hosts {
		hc.CloseIdleConnections()
	}
}

type countedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (cc *countedConn) Close() error {
	err := cc.Conn.Close()
	cc.once.Do(cc.release)
	return err
}

// pathEscape escapes s as one path segment.
func pathEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if isUnreserved(ch) {
			b.WriteByte(ch)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", ch)
	}
	return b.String()
}

func isUnreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}
