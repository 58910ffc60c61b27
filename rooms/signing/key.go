package signing

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
)

// KeyPair is one ed25519 signing key of a server.
type KeyPair struct {
	ID      KeyID
	Private ed25519.PrivateKey
	Public  ed25519.PublicKey
}

// GenerateKey makes a new random ed25519 key with ID "ed25519:"+version.
func GenerateKey(version string) (KeyPair, error) {
	id, err := ParseKeyID(AlgorithmEd25519 + ":" + version)
	if err != nil {
		return KeyPair{}, err
	}
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return KeyPair{}, fmt.Errorf("signing: generate key: %w", err)
	}
	return KeyFromSeed(id, seed)
}

// KeyFromSeed derives the key pair of a 32-byte ed25519 seed, the form in
// which keys are stored.
func KeyFromSeed(id KeyID, seed []byte) (KeyPair, error) {
	if _, err := ParseKeyID(string(id)); err != nil {
		return KeyPair{}, err
	}
	if id.Algorithm() != AlgorithmEd25519 {
		return KeyPair{}, fmt.Errorf("%w: %q", ErrAlgorithm, id.Algorithm())
	}
	if len(seed) != ed25519.SeedSize {
		return KeyPair{}, fmt.Errorf("%w, got %d", ErrSeed, len(seed))
	}
	private := ed25519.NewKeyFromSeed(seed)
	return KeyPair{ID: id, Private: private, Public: private.Public().(ed25519.PublicKey)}, nil
}

// Seed returns the 32-byte seed the key was derived from.
func (k KeyPair) Seed() []byte { return k.Private.Seed() }

// PublicBase64 is the public key in unpadded base64, as published in
// /_matrix/key/v2/server.
func (k KeyPair) PublicBase64() string { return EncodeBase64(k.Public) }
