package messages

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/axonhs/axon/bench/internal/fill"
	"github.com/axonhs/axon/cmd/axon/homeserver"
	"github.com/axonhs/axon/cmd/axon/homeserver/homeservertest"
	"github.com/axonhs/axon/configs"
	"github.com/axonhs/axon/rooms/signing"
)

const benchUser = "bench"

// fixture is a running homeserver holding one room of a known size, with
// a logged-in member.
type fixture struct {
	srv    *homeserver.Server
	base   string
	token  string
	roomID string
	// tokens are positions spread over the whole room: every end token of
	// one walk backwards from the newest event with pages of 50.
	tokens []string
	http   *http.Client
}

// fillRoom creates a room of @bench:localhost in the store under cfg and
// sends messages into it through the room actors, from many goroutines so
// that the actor coalesces them into large batches.
func fillRoom(tb testing.TB, cfg *configs.Config, key signing.KeyPair, messages int) string {
	tb.Helper()
	f, err := fill.Open(cfg, key, benchUser)
	if err != nil {
		tb.Fatal(err)
	}
	roomID, err := f.CreateRoom()
	if err == nil {
		err = f.Parallel(messages, func(i int) error { return f.Say(roomID, fmt.Sprintf("message %d", i)) })
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		tb.Fatal(err)
	}
	return roomID
}

// newFixture fills a room of the given size, starts the homeserver on the
// same data and registers the room's creator to get a token.
func newFixture(tb testing.TB, dir string, messages int) (*fixture, func()) {
	tb.Helper()
	cfg := homeservertest.Config(tb, dir)
	key := homeservertest.WriteSigningKey(tb, cfg)
	homeservertest.WriteTLSCert(tb, cfg)
	roomID := fillRoom(tb, cfg, key, messages)
	srv, err := homeserver.New(cfg, zap.NewNop())
	if err != nil {
		tb.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		tb.Fatal(err)
	}
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
	f := &fixture{srv: srv, base: "http://" + srv.ClientAddr(), roomID: roomID,
		http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}}
	if f.token, err = f.register(); err != nil {
		stop()
		tb.Fatal(err)
	}
	if f.tokens, err = f.walk(); err != nil {
		stop()
		tb.Fatal(err)
	}
	return f, stop
}

// register creates the bench account through UIA (m.login.dummy).
func (f *fixture) register() (string, error) {
	var first struct {
		Session string `json:"session"`
	}
	body := map[string]any{"username": benchUser, "password": "bench-password-1"}
	if _, err := f.do("POST", "/_matrix/client/v3/register", body, &first); err != nil && first.Session == "" {
		return "", err
	}
	body["auth"] = map[string]any{"type": "m.login.dummy", "session": first.Session}
	var done struct {
		Token string `json:"access_token"`
	}
	if status, err := f.do("POST", "/_matrix/client/v3/register", body, &done); err != nil || status != 200 {
		return "", fmt.Errorf("register: %d %v", status, err)
	}
	return done.Token, nil
}

func (f *fixture) do(method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, f.base+path, rd)
	if err != nil {
		return 0, err
	}
	if f.token != "" {
		req.Header.Set("Authorization", "Bearer "+f.token)
	}
	resp, err := f.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return resp.StatusCode, fmt.Errorf("%d %q: %w", resp.StatusCode, raw, err)
	}
	if resp.StatusCode != 200 {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, nil
}

// messagesPage is the part of a /messages response the benchmark checks.
type messagesPage struct {
	Start string        `json:"start"`
	End   string        `json:"end"`
	Chunk []servedEvent `json:"chunk"`
}

type servedEvent struct {
	ID   string `json:"event_id"`
	Type string `json:"type"`
}

// walk pages backwards through the whole room and returns every end token
// and the number of events seen.
func (f *fixture) walk() ([]string, error) {
	var tokens []string
	from := ""
	for {
		p, err := f.page("b", from, pageSize)
		if err != nil {
			return nil, err
		}
		if p.End == "" {
			return tokens, nil
		}
		tokens = append(tokens, p.End)
		from = p.End
	}
}

func (f *fixture) page(dir, from string, limit int) (messagesPage, error) {
	path := fmt.Sprintf("/_matrix/client/v3/rooms/%s/messages?dir=%s&limit=%d", f.roomID, dir, limit)
	if from != "" {
		path += "&from=" + from
	}
	var p messagesPage
	_, err := f.do("GET", path, nil, &p)
	return p, err
}
