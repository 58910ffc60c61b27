package tests

import (
	"fmt"
	"testing"
)

// TestSyncUnchangedSinceStillCountsKeys: an incremental sync whose token is
// already where every stream is answers with the same token and nothing
// new, and still carries the device's one-time key counts as they are now
// (sync.yaml: device_one_time_keys_count), even when only the keys moved.
func TestSyncUnchangedSinceStillCountsKeys(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	alice := udUser(t, srv, "alice")
	s := doSync(t, srv, alice.AccessToken, nil)
	s = doSync(t, srv, alice.AccessToken, q("since", s.next()))
	settled := s.next()
	s = doSync(t, srv, alice.AccessToken, q("since", settled))
	if s.next() != settled || s["rooms"] != nil {
		t.Fatalf("sync at the current position: next_batch %q (since %q), rooms %v", s.next(), settled, s["rooms"])
	}
	if n := s.path("device_one_time_keys_count", "signed_curve25519"); n != nil {
		t.Fatalf("before any upload: %v signed_curve25519 keys", n)
	}
	otks := map[string]any{}
	for i := range 3 {
		otks[fmt.Sprintf("signed_curve25519:K%d", i)] = map[string]any{"key": fmt.Sprintf("k%d", i)}
	}
	if up := call(t, srv, "POST", v3+"/keys/upload", alice.AccessToken, map[string]any{"one_time_keys": otks}); up.status != 200 {
		t.Fatalf("uploading one-time keys: %d %v", up.status, up.body)
	}
	s = doSync(t, srv, alice.AccessToken, q("since", s.next()))
	if n := s.path("device_one_time_keys_count", "signed_curve25519"); n != float64(3) {
		t.Fatalf("after uploading three: %v signed_curve25519 keys, want 3", n)
	}
}
