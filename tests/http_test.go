package tests

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/axonhs/axon/cmd/axon/homeserver"
)

// reply is a raw HTTP response, for checking exact statuses and errcodes.
type reply struct {
	status int
	body   map[string]any
	header http.Header
}

func (r reply) errcode() string { s, _ := r.body["errcode"].(string); return s }

func (r reply) str(key string) string { s, _ := r.body[key].(string); return s }

// call sends a raw request; body is sent as is when it is a string or
// []byte, JSON-encoded otherwise.
func call(t testing.TB, s *homeserver.Server, method, path, token string, body any) reply {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewReader([]byte(b))
	case []byte:
		rd = bytes.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, "http://"+s.ClientAddr()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := reply{status: resp.StatusCode, header: resp.Header}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			t.Fatalf("%s %s: %d body %q is not a JSON object", method, path, resp.StatusCode, raw)
		}
	}
	return r
}

// registerUser registers through UIA (dummy) over raw HTTP and returns
// the response body.
func registerUser(t testing.TB, s *homeserver.Server, username, password string, extra map[string]any) reply {
	t.Helper()
	first := call(t, s, "POST", "/_matrix/client/v3/register", "", map[string]any{"username": username, "password": password})
	if first.status != 401 || first.str("session") == "" {
		t.Fatalf("register without auth: %d %v", first.status, first.body)
	}
	body := map[string]any{"username": username, "password": password,
		"auth": map[string]any{"type": "m.login.dummy", "session": first.str("session")}}
	for k, v := range extra {
		body[k] = v
	}
	r := call(t, s, "POST", "/_matrix/client/v3/register", "", body)
	if r.status != 200 {
		t.Fatalf("register %s: %d %v", username, r.status, r.body)
	}
	return r
}
