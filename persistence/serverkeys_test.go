package persistence

import (
	"errors"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

func TestServerKeysKeepTheLongerValidity(t *testing.T) {
	fs := vfs.NewMem()
	s := openMem(t, fs)
	if err := s.PutServerKeys("a.example", map[string]ServerKey{
		"ed25519:1": {Key: "k1", ValidUntilTS: 2000, Response: []byte(`{"r":1}`)},
		"ed25519:0": {Key: "k0", ExpiredTS: 500},
	}); err != nil {
		t.Fatal(err)
	}
	// A staler response fetched later does not shorten what is known.
	if err := s.PutServerKeys("a.example", map[string]ServerKey{"ed25519:1": {Key: "k1", ValidUntilTS: 1000}}); err != nil {
		t.Fatal(err)
	}
	// Another server's keys, whose name is a prefix of the first, stay apart.
	if err := s.PutServerKeys("a.exampl", map[string]ServerKey{"ed25519:1": {Key: "other", ValidUntilTS: 9}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openMem(t, fs)
	defer s.Close()
	k, err := s.ServerKey("a.example", "ed25519:1")
	if err != nil || k.ValidUntilTS != 2000 || string(k.Response) != `{"r":1}` {
		t.Fatalf("got %+v, %v", k, err)
	}
	all, err := s.ServerKeys("a.example")
	if err != nil || len(all) != 2 || all["ed25519:0"].ExpiredTS != 500 {
		t.Fatalf("ServerKeys = %+v, %v", all, err)
	}
	if _, err := s.ServerKey("b.example", "ed25519:1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown server: %v", err)
	}
}
