package federation

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/axonhs/axon/cmd/axon/homeserver"
	"github.com/axonhs/axon/cmd/axon/homeserver/homeservertest"
	"github.com/axonhs/axon/federation/fedtest"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

const axonName = "axon.bench"

// world is one Axon server and a hub of fake peers, with a room on Axon
// created by alice.
type world struct {
	tb     testing.TB
	hub    *fedtest.Hub
	srv    *homeserver.Server
	token  string
	roomID string
	v      version.Spec
	depth  int64
	// auth state of the room
	create, joinRules, power string
	latest                   string
}

func newWorld(tb testing.TB, peers int) *world {
	tb.Helper()
	hub, err := fedtest.NewHub("127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { hub.Close() })
	for i := range peers {
		if _, err := hub.AddPeer(fmt.Sprintf("p%d.bench", i)); err != nil {
			tb.Fatal(err)
		}
	}
	dir := tb.TempDir()
	cfg := homeservertest.Config(tb, dir)
	cfg.ServerName = axonName
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	cfg.Listeners.Federation = ln.Addr().String()
	ln.Close()
	cfg.FederationAddresses = hub.Overrides()
	cfg.FederationAddresses[axonName] = cfg.Listeners.Federation
	cfg.FederationCAFile = filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(cfg.FederationCAFile, hub.CAPEM(), 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		tb.Fatal(err)
	}
	homeservertest.WriteSigningKey(tb, cfg)
	homeservertest.WriteTLSCert(tb, cfg)
	srv, err := homeserver.New(cfg, zap.NewNop())
	if err != nil {
		tb.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	w := &world{tb: tb, hub: hub, srv: srv, depth: 10}
	w.v, _ = version.Lookup("10")
	w.register()
	var cr struct {
		RoomID string `json:"room_id"`
	}
	w.client("POST", "/_matrix/client/v3/createRoom", map[string]any{"preset": "public_chat", "room_version": "10"}, &cr)
	w.roomID = cr.RoomID
	var state []struct {
		Type    string `json:"type"`
		EventID string `json:"event_id"`
	}
	w.client("GET", "/_matrix/client/v3/rooms/"+url.PathEscape(w.roomID)+"/state", nil, &state)
	for _, e := range state {
		switch e.Type {
		case "m.room.create":
			w.create = e.EventID
		case "m.room.join_rules":
			w.joinRules = e.EventID
		case "m.room.power_levels":
			w.power = e.EventID
		}
	}
	var m struct {
		Chunk []struct {
			EventID string `json:"event_id"`
		} `json:"chunk"`
	}
	w.client("GET", "/_matrix/client/v3/rooms/"+url.PathEscape(w.roomID)+"/messages?dir=b&limit=1", nil, &m)
	w.latest = m.Chunk[0].EventID
	return w
}

func (w *world) register() {
	w.tb.Helper()
	var first struct {
		Session string `json:"session"`
	}
	w.clientStatus("POST", "/_matrix/client/v3/register", map[string]any{"username": "alice", "password": "bench password 1"}, &first)
	var reg struct {
		AccessToken string `json:"access_token"`
	}
	w.client("POST", "/_matrix/client/v3/register", map[string]any{"username": "alice", "password": "bench password 1",
		"auth": map[string]any{"type": "m.login.dummy", "session": first.Session}}, &reg)
	w.token = reg.AccessToken
}

func (w *world) client(method, path string, body, out any) {
	w.tb.Helper()
	if st := w.clientStatus(method, path, body, out); st != 200 {
		w.tb.Fatalf("%s %s: %d", method, path, st)
	}
}

func (w *world) clientStatus(method, path string, body, out any) int {
	w.tb.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, "http://"+w.srv.ClientAddr()+path, rd)
	if w.token != "" {
		req.Header.Set("Authorization", "Bearer "+w.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.tb.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		_ = json.Unmarshal(raw, out)
	}
	return resp.StatusCode
}

func (w *world) peer(i int) *fedtest.Peer {
	p, _ := w.hub.Peer(fmt.Sprintf("p%d.bench", i))
	return p
}

// build has peer i build an event of the room.
func (w *world) build(i int, typ string, stateKey *string, sender, content string, prev, auth []string) *event.Event {
	w.tb.Helper()
	w.depth++
	ev, err := w.peer(i).BuildEvent(w.v, event.Proto{RoomID: w.roomID, Type: typ, StateKey: stateKey, Sender: sender,
		Content: json.RawMessage(content), PrevEvents: prev, AuthEvents: auth, Depth: w.depth, OriginServerTS: time.Now().UnixMilli()})
	if err != nil {
		w.tb.Fatal(err)
	}
	return ev
}

// join has a user of peer i join through a transaction; it returns the
// join event.
func (w *world) join(i int) *event.Event {
	w.tb.Helper()
	user := fmt.Sprintf("@u:p%d.bench", i)
	ev := w.build(i, "m.room.member", &user, user, `{"membership":"join"}`, []string{w.latest}, []string{w.create, w.joinRules, w.power})
	w.send(i, fmt.Sprintf("join-%d", i), []json.RawMessage{ev.Raw})
	w.latest = ev.ID
	return ev
}

// send PUTs a transaction from peer i and checks every PDU was accepted.
func (w *world) send(i int, txnID string, pdus []json.RawMessage) {
	w.tb.Helper()
	p := w.peer(i)
	body, _ := json.Marshal(map[string]any{"origin": p.Name, "origin_server_ts": time.Now().UnixMilli(), "pdus": pdus})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	status, raw, err := p.Do(ctx, w.srv.FederationAddr(), axonName, "PUT", "/_matrix/federation/v1/send/"+txnID, body, "")
	if err != nil || status != 200 {
		w.tb.Fatalf("send %s: %d %s %v", txnID, status, raw, err)
	}
	var res struct {
		PDUs map[string]struct {
			Error string `json:"error"`
		} `json:"pdus"`
	}
	if err := json.Unmarshal(raw, &res); err != nil || len(res.PDUs) != len(pdus) {
		w.tb.Fatalf("send %s answered %s", txnID, raw)
	}
	for id, r := range res.PDUs {
		if r.Error != "" {
			w.tb.Fatalf("PDU %s: %s", id, r.Error)
		}
	}
}
