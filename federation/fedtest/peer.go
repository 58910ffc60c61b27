package fedtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/signing"
	"github.com/axonhs/axon/rooms/version"
)

// Peer is one fake server.
type Peer struct {
	Name string
	Key  signing.KeyPair
	// Index is the number of peers the hub had before this one.
	Index int

	hub  *Hub
	keys *federation.Publisher

	fail    atomic.Int32
	hanging atomic.Bool
	release chan struct{}

	mu    sync.Mutex
	txns  []Transaction
	seen  map[string]bool
	wake  chan struct{}
	count atomic.Int64

	handlersMu sync.Mutex
	handlers   []route // handlers.go
}

// Transaction is one PUT /_matrix/federation/v1/send/{txnId} a peer
// received.
type Transaction struct {
	TxnID  string
	Origin string // from the X-Matrix header (verified if the hub has a keyring)
	PDUs   []json.RawMessage
	EDUs   []json.RawMessage
	Body   json.RawMessage
}

func newPeer(h *Hub, name string, key signing.KeyPair) *Peer {
	return &Peer{Name: name, Key: key, hub: h, keys: federation.NewPublisher(name, key, nil, 0, nil),
		release: make(chan struct{}), seen: map[string]bool{}, wake: make(chan struct{})}
}

// FailWith makes the peer answer every request with status (and
// M_UNKNOWN); 0 restores normal service.
func (p *Peer) FailWith(status int) { p.fail.Store(int32(status)) }

// Hang makes the peer hold every request open until Release or the hub
// closes.
func (p *Peer) Hang() { p.hanging.Store(true) }

// Release ends Hang, letting held requests finish normally.
func (p *Peer) Release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.hanging.Swap(false) {
		close(p.release)
		p.release = make(chan struct{})
	}
}

// Transactions returns the transactions received so far, in order, each
// txnId once.
func (p *Peer) Transactions() []Transaction {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Transaction(nil), p.txns...)
}

// Received is the number of transactions received, counting resends.
func (p *Peer) Received() int64 { return p.count.Load() }

// WaitTransactions waits until at least n distinct transactions arrived.
func (p *Peer) WaitTransactions(ctx context.Context, n int) ([]Transaction, error) {
	for {
		p.mu.Lock()
		if len(p.txns) >= n {
			out := append([]Transaction(nil), p.txns...)
			p.mu.Unlock()
			return out, nil
		}
		wake := p.wake
		p.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return nil, fmt.Errorf("fedtest: %s waiting for %d transactions: %w", p.Name, n, ctx.Err())
		}
	}
}

// KeyResponse is the peer's signed /_matrix/key/v2/server body.
func (p *Peer) KeyResponse() []byte {
	b, _, _ := p.keys.Response()
	return b
}

// BuildEvent builds and signs an event from the peer (rooms/event).
func (p *Peer) BuildEvent(v version.Spec, proto event.Proto) (*event.Event, error) {
	return proto.Build(v, p.Name, p.Key)
}

// SignRequest returns the X-Matrix Authorization header for a request from
// this peer to destination.
func (p *Peer) SignRequest(destination, method, uri string, body []byte) (string, error) {
	return federation.SignRequest(p.Key, p.Name, destination, method, uri, body)
}

// Do sends a request signed by this peer to destination at addr
// (host:port) and returns the status and body. uri goes on the wire as
// given. auth, when not empty, replaces the computed Authorization header
// (for forged requests).
func (p *Peer) Do(ctx context.Context, addr, destination, method, uri string, body []byte, auth string) (int, []byte, error) {
	if auth == "" {
		var err error
		if auth, err = p.SignRequest(destination, method, uri, body); err != nil {
			return 0, nil, err
		}
	}
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI("https://" + addr + uri)
	req.URI().DisablePathNormalizing = true // after SetRequestURI, which resets it
	req.Header.SetHost(destination)
	req.UseHostHeader = true // the server name, not the address dialled
	req.Header.SetMethod(method)
	req.Header.Set(fasthttp.HeaderAuthorization, auth)
	if body != nil {
		req.Header.SetContentType("application/json")
		req.SetBody(body)
	}
	deadline := time.Now().Add(30 * time.Second)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := p.hub.client.DoDeadline(req, resp, deadline); err != nil {
		return 0, nil, fmt.Errorf("fedtest: %s %s: %w", method, uri, err)
	}
	return resp.StatusCode(), append([]byte(nil), resp.Body()...), nil
}

const sendPrefix = "/_matrix/federation/v1/send/"

func (p *Peer) serve(ctx *fasthttp.RequestCtx) {
	if p.hanging.Load() {
		p.mu.Lock()
		release := p.release
		p.mu.Unlock()
		select {
		case <-release:
		case <-p.hub.closing:
			return
		}
	}
	if s := p.fail.Load(); s != 0 {
		writeError(ctx, int(s), "M_UNKNOWN", "Failing on purpose")
		return
	}
	path := string(ctx.Path())
	switch {
	case path == "/_matrix/key/v2/server" && ctx.IsGet():
		ctx.SetContentType("application/json")
		ctx.SetBody(p.KeyResponse())
	case path == "/_matrix/federation/v1/version" && ctx.IsGet():
		ctx.SetContentType("application/json")
		ctx.SetBodyString(`{"server":{"name":"fedtest","version":"1"}}`)
	case strings.HasPrefix(path, sendPrefix) && ctx.IsPut():
		p.receive(ctx, strings.TrimPrefix(path, sendPrefix))
	default:
		if h := p.handler(string(ctx.Method()), path); h != nil {
			h(ctx)
			return
		}
		if p.serveRoom(ctx, path) {
			return
		}
		writeError(ctx, fasthttp.StatusNotFound, "M_UNRECOGNIZED", "Unrecognized request")
	}
}

type txnBody struct {
	Origin string            `json:"origin"`
	PDUs   []json.RawMessage `json:"pdus"`
	EDUs   []json.RawMessage `json:"edus"`
}

func (p *Peer) receive(ctx *fasthttp.RequestCtx, rawTxn string) {
	txnID, err := url.PathUnescape(rawTxn)
	if err != nil {
		writeError(ctx, fasthttp.StatusBadRequest, "M_INVALID_PARAM", "Malformed txnId")
		return
	}
	origin, verified, err := p.authenticate(ctx)
	if err != nil {
		p.hub.rejected.Add(1)
		writeError(ctx, fasthttp.StatusUnauthorized, "M_UNAUTHORIZED", err.Error())
		return
	}
	p.hub.mu.RLock()
	recv := p.hub.receiver
	p.hub.mu.RUnlock()
	if recv != nil {
		p.count.Add(1)
		p.mu.Lock()
		key := origin + "\x00" + txnID
		fresh := !p.seen[key]
		p.seen[key] = true
		p.mu.Unlock()
		if fresh {
			recv(p, txnID, origin, ctx.PostBody(), verified)
		}
		ctx.SetContentType("application/json")
		ctx.SetBodyString(`{"pdus":{}}`)
		return
	}
	var body txnBody
	if err := json.Unmarshal(ctx.PostBody(), &body); err != nil {
		writeError(ctx, fasthttp.StatusBadRequest, "M_BAD_JSON", "Malformed transaction")
		return
	}
	p.count.Add(1)
	p.mu.Lock()
	key := origin + "\x00" + txnID
	if !p.seen[key] {
		p.seen[key] = true
		p.txns = append(p.txns, Transaction{TxnID: txnID, Origin: origin, PDUs: body.PDUs, EDUs: body.EDUs,
			Body: append(json.RawMessage(nil), ctx.PostBody()...)})
		close(p.wake)
		p.wake = make(chan struct{})
	}
	p.mu.Unlock()
	ctx.SetContentType("application/json")
	ctx.SetBodyString(`{"pdus":{}}`)
}

// authenticate parses the X-Matrix header and, when the hub has a keyring
// and the request falls in the hub's verification sample, verifies it;
// verified says whether it did.
func (p *Peer) authenticate(ctx *fasthttp.RequestCtx) (origin string, verified bool, err error) {
	auth, err := federation.ParseAuthorization(string(ctx.Request.Header.Peek(fasthttp.HeaderAuthorization)))
	if err != nil {
		return "", false, err
	}
	p.hub.mu.RLock()
	kr, every := p.hub.keyring, p.hub.verifyEvery
	p.hub.mu.RUnlock()
	if kr == nil || (every > 1 && p.hub.verifyN.Add(1)%every != 0) {
		return auth.Origin, false, nil
	}
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pub, err := kr.RequestKey(c, auth.Origin, auth.Key)
	if err != nil {
		return "", false, err
	}
	if err := federation.VerifyRequest(auth, pub, p.Name, string(ctx.Method()), string(ctx.Request.Header.RequestURI()), ctx.PostBody()); err != nil {
		return "", false, err
	}
	return auth.Origin, true, nil
}
