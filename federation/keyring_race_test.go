package federation_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/rooms/signing"
)

// staleStore is a key store whose first miss for a key is answered only
// after a whole other lookup (fetch, store, mark) has run in between: the
// interleaving in which a lookup reads the store just before another
// lookup's fetch stores the key, and checks "recently fetched" just after.
type staleStore struct {
	federation.KeyStore
	fired   atomic.Bool
	between func()
}

func (s *staleStore) ServerKey(server string, id signing.KeyID) (federation.StoredKey, bool, error) {
	k, ok, err := s.KeyStore.ServerKey(server, id)
	if !ok && err == nil && s.fired.CompareAndSwap(false, true) {
		s.between()
	}
	return k, ok, err
}

func TestKeyringSeesKeyFetchedByAnotherLookup(t *testing.T) {
	remoteKey := newKey(t, "r1")
	remote := federation.NewPublisher("remote.example", remoteKey, nil, 0, nil)
	f := &publisherFetcher{servers: map[string]*federation.Publisher{"remote.example": remote}}
	store := &staleStore{KeyStore: federation.NewMemoryKeyStore()}
	kr := federation.NewKeyring(federation.KeyringConfig{
		Self:    federation.NewPublisher("self.example", newKey(t, "s1"), nil, 0, nil),
		Store:   store,
		Fetcher: f,
	})
	ctx := context.Background()
	now := time.Now().UnixMilli()
	var other error
	store.between = func() {
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _, other = kr.VerifyKey(ctx, "remote.example", remoteKey.ID, now)
		}()
		<-done
	}
	pub, _, err := kr.VerifyKey(ctx, "remote.example", remoteKey.ID, now)
	if other != nil {
		t.Fatalf("the lookup that fetched: %v", other)
	}
	if err != nil {
		t.Fatalf("the lookup that read the store before the fetch stored the key: %v", err)
	}
	if !pub.Equal(remoteKey.Public) {
		t.Error("wrong key")
	}
	if n := f.direct.Load(); n != 1 {
		t.Errorf("%d fetches, want 1", n)
	}
}
