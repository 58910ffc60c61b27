package fedtest

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
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
	extra   []net.Listener // Listen's
	srv     *fasthttp.Server
	client  *fasthttp.Client
	closing chan struct{}
	served  sync.WaitGroup

	mu       sync.RWMutex
	peers    map[string]*Peer
	keyring  *federation.Keyring
	closed   bool
	receiver Receiver
	events   roomEvents
	// verifyEvery: with a keyring, one transaction in verifyEvery has its
	// X-Matrix signature checked (default 1, every one).
	verifyEvery int64
	verifyN     atomic.Int64
	rejected    atomic.Int64
}

// NewHub listens on addr ("127.0.0.1:0" for any port; "127.0.1.7:8448" for
// IP-literal names on their own loopback address) and serves until Close.
func NewHub(addr string) (*Hub, error) {
	return NewHubWithCA(addr, nil)
}

// NewHubWithCA is NewHub with the CA that issues the hub's certificates
// given as PEM (certificate and PKCS#8 key, as CAPEM and CAKeyPEM return
// them), so that a server configured once to trust it keeps trusting the
// hubs of later runs. Nil makes a fresh CA.
func NewHubWithCA(addr string, caPEM []byte) (*Hub, error) {
	var ca *authority
	var err error
	if caPEM != nil {
		ca, err = loadAuthority(caPEM)
	} else {
		ca, err = newAuthority()
	}
	if err != nil {
		return nil, err
	}
	raw, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("fedtest: listening on %s: %w", addr, err)
	}
	h := &Hub{ca: ca, closing: make(chan struct{}), peers: map[string]*Peer{}, verifyEvery: 1}
	h.ln = h.tlsListener(raw)
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
		MaxConnWaitTimeout:     30 * time.Second, // many peers calling one server wait their turn, as real servers would
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

func (h *Hub) tlsListener(raw net.Listener) net.Listener {
	return tls.NewListener(raw, &tls.Config{GetCertificate: h.ca.getCertificate, MinVersion: tls.VersionTLS12})
}

// Listen makes the hub also serve on addr, for peers with IP-literal names
// on more loopback addresses than one; it serves until Close.
func (h *Hub) Listen(addr string) error {
	raw, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("fedtest: listening on %s: %w", addr, err)
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		raw.Close()
		return ErrClosed
	}
	h.extra = append(h.extra, raw)
	h.served.Add(1)
	h.mu.Unlock()
	go func() {
		defer h.served.Done()
		_ = h.srv.Serve(h.tlsListener(raw))
	}()
	return nil
}

// Addr is the hub's listening address.
func (h *Hub) Addr() string { return h.ln.Addr().String() }

// CAPEM is the PEM certificate of the CA that signs the hub's TLS
// certificates: give it to a server as federation_ca_file.
func (h *Hub) CAPEM() []byte { return h.ca.pem }

// CAKeyPEM is the CA's certificate followed by its private key, for
// NewHubWithCA in a later run.
func (h *Hub) CAKeyPEM() []byte { return append(append([]byte(nil), h.ca.pem...), h.ca.keyPEM()...) }

// Receiver takes each new transaction (a txnId not seen before from its
// origin) a peer receives, in place of the peer's transaction log, for
// benchmarks that cannot afford to keep or decode every body. body is
// valid only during the call. verified says the X-Matrix signature was
// checked (see SetVerifySample); unverified transactions were not refused,
// only not checked. It runs on the request's goroutine: keep it short.
type Receiver func(p *Peer, txnID, origin string, body []byte, verified bool)

// SetReceiver routes every peer's new transactions to r (nil restores the
// transaction log).
func (h *Hub) SetReceiver(r Receiver) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.receiver = r
}

// SetVerifySample makes peers check the X-Matrix signature of one
// transaction in every (1, the default, checks each); it matters only with
// a keyring.
func (h *Hub) SetVerifySample(every int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.verifyEvery = int64(max(every, 1))
}

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
	return h.AddPeerKey(name, key)
}

// AddPeerKey creates a fake server named name signing with key. A server
// that met an earlier peer of the same name caches that peer's key under
// its key ID, so a peer that reuses a name needs a new key ID.
func (h *Hub) AddPeerKey(name string, key signing.KeyPair) (*Peer, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	if _, ok := h.peers[name]; ok {
		return nil, fmt.Errorf("fedtest: peer %s exists", name)
	}
	p := newPeer(h, name, key)
	p.Index = len(h.peers)
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
	h.mu.RLock()
	for _, ln := range h.extra {
		_ = ln.Close()
	}
	h.mu.RUnlock()
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

// Rejected counts transactions refused for a missing or bad X-Matrix
// signature.
func (h *Hub) Rejected() int64 { return h.rejected.Load() }

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
