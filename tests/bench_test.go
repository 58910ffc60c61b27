package tests

import (
	"io"
	"net/http"
	"testing"
)

// BenchmarkWhoamiHTTP is one authenticated request over loopback through
// the whole edge: router, rate-limit check, token resolution, JSON reply.
func BenchmarkWhoamiHTTP(b *testing.B) {
	srv := startServer(b, testConfig(b, b.TempDir()))
	tok := registerUser(b, srv, "bench", "pw", nil).str("access_token")
	req, _ := http.NewRequest("GET", "http://"+srv.ClientAddr()+"/_matrix/client/v3/account/whoami", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	for b.Loop() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}

// BenchmarkLoginHTTP is one password login (bcrypt at the test cost of 4,
// a new device and token committed to Pebble with fsync) over loopback.
func BenchmarkLoginHTTP(b *testing.B) {
	srv := startServer(b, testConfig(b, b.TempDir()))
	registerUser(b, srv, "bench", "pw", nil)
	for b.Loop() {
		r := call(b, srv, "POST", "/_matrix/client/v3/login", "", map[string]any{"type": "m.login.password", "user": "bench", "password": "pw"})
		if r.status != 200 {
			b.Fatalf("status %d", r.status)
		}
	}
}
