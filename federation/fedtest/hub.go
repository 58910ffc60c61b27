package fedtest

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/rooms/signing"
)

// ErrClosed is returned by a Hub after Close.
var ErrClosed = errors.New("fedtest: hub closed")

// Hub hosts fake servers on one TLS listener.
type Hub struct {
	ca      *authority
	ln      net.Listener
	srv     *fasthttp.Server
	client  *fasthttp.Client
	closing chan struct{}
	served  sync.WaitGroup

	mu      sync.RWMutex
	peers   map[string]*Peer
	keyring *federation.Keyring
	closed  bool
}

// NewHub listens on addr ("127.0.0.1:0" for any port; "127.0.1.7:8448" for
// IP-literal names on their own loopback address) and serves until Close.
func NewHub(addr string) (*Hub, error) {
	ca, err := newAuthority()
	if err != nil {
		return nil, err
	}
	raw, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("fedtest: listening on %s: %w", addr, err)
	}
	h := &Hub{ca: ca, closing: make(chan struct{}), peers: map[string]*Peer{}}
	h.ln = tls.NewListener(raw, &tls.Config{GetCertificate: ca.getCertificate, MinVersion: tls.VersionTLS12})
	h.srv = &fasthttp.Server{
		Name:                          "fedtest",
		Handler:                       h.handle,
		ReadTimeout:                   30 * time.Second,
		WriteTimeout:                  30 * time.Second,
		IdleTimeout:                   time.Minute,
		MaxRequestBodySize:            4 << 20,
		DisablePreParseMultipartForm:  true,
		DisableHeaderNamesNormalizing: false,
		Concurrency:                   64 * 1024,
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	h.client = &fasthttp.Client{
		Name:                   "fedtest",
		TLSConfig:              &tls.Config{RootCAs: pool, InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}, //nolint:gosec // fake peers talk to test servers with self-signed certificates
		MaxConnsPerHost:        16,
		MaxIdleConnDuration:    30 * time.Second,
		ReadTimeout:            30 * time.Second,
		WriteTimeout:           30 * time.Second,
		DisablePathNormalizing: true,
		MaxResponseBodySize:    16 << 20,
	}
	h.served.Add(1)
	go func() {
		defer h.served.Done()
		_ = h.srv.Serve(h.ln)
	}()
	return h, nil
}

// Addr is the hub's listening address.
func (h *Hub) Addr() string { return h.ln.Addr().String() }

// CAPEM is the PEM certificate of the CA that signs the hub's TLS
// certificates: give it to a server as federation_ca_file.
func (h *Hub) CAPEM() []byte { return h.ca.pem }

// SetKeyring makes peers verify the X-Matrix signature of transactions sent
// to them; without one they record the claimed origin unchecked.
func (h *Hub) SetKeyring(k *federation.Keyring) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.keyring = k
}

// AddPeer creates a fake server named name with a fresh ed25519 key.
func (h *Hub) AddPeer(name string) (*Peer, error) {
	key, err := signing.GenerateKey("fedtest")
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	if _, ok := h.peers[name]; ok {
		return nil, fmt.Errorf("fedtest: peer %s exists", name)
	}
	p := newPeer(h, name, key)
	h.peers[name] = p
	return p, nil
}

// Peer returns the peer named name.
func (h *Hub) Peer(name string) (*Peer, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	p, ok := h.peers[name]
	return p, ok
}

// Overrides maps every peer's name to the hub's address, the shape of the
// federation_addresses configuration.
func (h *Hub) Overrides() map[string]string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make(map[string]string, len(h.peers))
	for name := range h.peers {
		out[name] = h.Addr()
	}
	return out
}

// Close releases hanging handlers, stops the listener and waits for it.
func (h *Hub) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	close(h.closing)
	h.mu.Unlock()
	err := h.srv.Shutdown()
	// Serve may not have registered the listener yet when Shutdown runs;
	// closing it here makes such a late Serve return at once.
	_ = h.ln.Close()
	h.served.Wait()
	h.client.CloseIdleConnections()
	return err
}

// peerFor finds the peer a request is for by its Host header.
func (h *Hub) peerFor(host string) (*Peer, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if p, ok := h.peers[host]; ok {
		return p, true
	}
	// A server name without a port, reached through an override.
	if name, _, err := net.SplitHostPort(host); err == nil {
		p, ok := h.peers[name]
		return p, ok
	}
	return nil, false
}

func (h *Hub) handle(ctx *fasthttp.RequestCtx) {
	p, ok := h.peerFor(strings.ToLower(string(ctx.Host())))
	if !ok {
		writeError(ctx, fasthttp.StatusNotFound, "M_UNRECOGNIZED", "No such server on this hub")
		return
	}
	p.serve(ctx)
}

func writeError(ctx *fasthttp.RequestCtx, status int, code, msg string) {
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	fmt.Fprintf(ctx, `{"errcode":%q,"error":%q}`, code, msg)
}
