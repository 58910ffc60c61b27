package persistence

import (
	"bytes"
	"errors"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

func openMem(t *testing.T, fs vfs.FS) *Store {
	t.Helper()
	s, err := Open("db", Options{FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRegistrationBatchSurvivesReopen(t *testing.T) {
	fs := vfs.NewMem()
	s := openMem(t, fs)
	h := HashToken("secret-token")
	b := s.NewBatch()
	b.PutAccount("alice", Account{PasswordHash: "x", CreatedMS: 5, Admin: true})
	b.PutDevice("alice", Device{ID: "DEV1", DisplayName: "phone", CreatedMS: 5})
	b.PutAccessToken(h, AccessToken{Localpart: "alice", DeviceID: "DEV1"})
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openMem(t, fs)
	defer s.Close()
	a, err := s.Account("alice")
	if err != nil || !a.Admin || a.PasswordHash != "x" {
		t.Fatalf("account = %+v, %v", a, err)
	}
	tok, err := s.AccessToken(h)
	if err != nil || tok.Localpart != "alice" || tok.DeviceID != "DEV1" {
		t.Fatalf("token = %+v, %v", tok, err)
	}
	access, _, err := s.DeviceTokens("alice", "DEV1")
	if err != nil || len(access) != 1 || access[0] != h {
		t.Fatalf("device tokens = %v, %v", access, err)
	}
	if _, err := s.AccessToken(HashToken("other")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown token: %v", err)
	}
}

func TestFailedBatchWritesNothing(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	b := s.NewBatch()
	b.PutAccount("bob", Account{CreatedMS: 1})
	b.PutDevice("bob", Device{ID: string(bytes.Repeat([]byte("x"), 70000))})
	b.PutAccessToken(HashToken("t"), AccessToken{Localpart: "bob", DeviceID: "D"})
	if err := b.Commit(); !errors.Is(err, ErrKeyTooLong) {
		t.Fatalf("commit = %v, want ErrKeyTooLong", err)
	}
	if _, err := s.Account("bob"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("account half-written: %v", err)
	}
	if _, err := s.AccessToken(HashToken("t")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("token half-written: %v", err)
	}
}

// Devices of "al" must not include those of "alice" even though one
// localpart is a prefix of the other: components are length-prefixed.
func TestDevicesDoNotLeakAcrossPrefixUsers(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	b := s.NewBatch()
	b.PutDevice("al", Device{ID: "A"})
	b.PutDevice("alice", Device{ID: "B"})
	b.PutDevice("alice", Device{ID: "C", DisplayName: "laptop"})
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		user string
		want []string
	}{{"al", []string{"A"}}, {"alice", []string{"B", "C"}}, {"bob", nil}}
	for _, tc := range tests {
		ds, err := s.Devices(tc.user)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range ds {
			got = append(got, d.ID)
		}
		if len(got) != len(tc.want) {
			t.Fatalf("%s: devices %v, want %v", tc.user, got, tc.want)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Fatalf("%s: devices %v, want %v", tc.user, got, tc.want)
			}
		}
	}
	b = s.NewBatch()
	b.DeleteDevice("alice", "B")
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Device("alice", "B"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted device still there: %v", err)
	}
	if d, err := s.Device("alice", "C"); err != nil || d.DisplayName != "laptop" {
		t.Fatalf("device C = %+v, %v", d, err)
	}
}

func TestNonceIsSingleUseAndExpires(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	tests := []struct {
		name    string
		put     bool
		expires int64
		now     int64
		want    error
	}{
		{"fresh", true, 100, 50, nil},
		{"expired", true, 100, 100, ErrNonceUnknown},
		{"never issued", false, 0, 0, ErrNonceUnknown},
	}
	for _, tc := range tests {
		if tc.put {
			if err := s.PutNonce(tc.name, tc.expires); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.ConsumeNonce(tc.name, tc.now); !errors.Is(err, tc.want) {
			t.Errorf("%s: first use = %v, want %v", tc.name, err, tc.want)
		}
		if err := s.ConsumeNonce(tc.name, tc.now); !errors.Is(err, ErrNonceUnknown) {
			t.Errorf("%s: replay = %v, want ErrNonceUnknown", tc.name, err)
		}
	}
	_ = s.PutNonce("old", 10)
	_ = s.PutNonce("new", 1000)
	if n, err := s.PruneNonces(500); err != nil || n != 1 {
		t.Fatalf("pruned %d, %v; want 1", n, err)
	}
	if err := s.ConsumeNonce("new", 500); err != nil {
		t.Fatalf("live nonce pruned: %v", err)
	}
}

func TestRegistrationTokenUses(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	one := 1
	if err := s.PutRegistrationToken("once", RegistrationToken{UsesAllowed: &one}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutRegistrationToken("expired", RegistrationToken{ExpiresMS: 10}); err != nil {
		t.Fatal(err)
	}
	if err := s.ReserveRegistrationToken("expired", 20); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("expired token reserved: %v", err)
	}
	if err := s.ReserveRegistrationToken("missing", 0); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("missing token reserved: %v", err)
	}
	if err := s.ReserveRegistrationToken("once", 0); err != nil {
		t.Fatal(err)
	}
	if err := s.ReserveRegistrationToken("once", 0); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("second pending use allowed: %v", err)
	}
	if err := s.ReleaseRegistrationToken("once", false); err != nil {
		t.Fatal(err)
	}
	if err := s.ReserveRegistrationToken("once", 0); err != nil {
		t.Fatalf("released use not given back: %v", err)
	}
	if err := s.ReleaseRegistrationToken("once", true); err != nil {
		t.Fatal(err)
	}
	tok, _ := s.RegistrationToken("once")
	if tok.Pending != 0 || tok.Completed != 1 || tok.Valid(0) {
		t.Fatalf("after completion: %+v valid=%v", tok, tok.Valid(0))
	}
}

func TestNextNumericLocalpartSkipsTaken(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	b := s.NewBatch()
	b.PutAccount("1", Account{})
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2", "3"} {
		got, err := s.NextNumericLocalpart()
		if err != nil || got != want {
			t.Fatalf("got %q, %v; want %q", got, err, want)
		}
	}
}
