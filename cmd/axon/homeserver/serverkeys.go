package homeserver

import (
	"crypto/ed25519"
	"errors"

	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/signing"
)

// keyStore adapts persistence.Store's 'K' family to federation.KeyStore.
type keyStore struct{ store *persistence.Store }

func (k keyStore) ServerKey(server string, id signing.KeyID) (federation.StoredKey, bool, error) {
	row, err := k.store.ServerKey(server, string(id))
	if errors.Is(err, persistence.ErrNotFound) {
		return federation.StoredKey{}, false, nil
	}
	if err != nil {
		return federation.StoredKey{}, false, err
	}
	sk, ok := fromRow(row)
	return sk, ok, nil
}

func (k keyStore) ServerKeys(server string) (map[signing.KeyID]federation.StoredKey, error) {
	rows, err := k.store.ServerKeys(server)
	if err != nil {
		return nil, err
	}
	out := make(map[signing.KeyID]federation.StoredKey, len(rows))
	for id, row := range rows {
		if sk, ok := fromRow(row); ok {
			out[signing.KeyID(id)] = sk
		}
	}
	return out, nil
}

func (k keyStore) PutServerKeys(server string, keys map[signing.KeyID]federation.StoredKey) error {
	rows := make(map[string]persistence.ServerKey, len(keys))
	for id, sk := range keys {
		rows[string(id)] = persistence.ServerKey{Key: signing.EncodeBase64(sk.Public), ValidUntilTS: sk.ValidUntilTS,
			ExpiredTS: sk.ExpiredTS, Response: sk.Response}
	}
	return k.store.PutServerKeys(server, rows)
}

// fromRow decodes a stored row; a row whose key does not decode is treated
// as absent, so it is fetched again.
func fromRow(row persistence.ServerKey) (federation.StoredKey, bool) {
	pub, err := signing.DecodeBase64(row.Key)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return federation.StoredKey{}, false
	}
	return federation.StoredKey{Public: pub, ValidUntilTS: row.ValidUntilTS, ExpiredTS: row.ExpiredTS, Response: row.Response}, true
}
