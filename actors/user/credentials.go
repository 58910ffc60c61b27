package user

import (
	"crypto/rand"
	"encoding/base64"
	"time"

	"github.com/axonhs/axon/persistence"
)

// Credentials are what a successful register, login or refresh hands out.
type Credentials struct {
	Localpart    string
	DeviceID     string
	AccessToken  string
	RefreshToken string // empty unless refresh tokens were asked for
	// ExpiresIn is the access token's lifetime; 0 if it does not expire.
	ExpiresIn time.Duration
}

// Session is what a valid access token resolves to.
type Session struct {
	Localpart string
	DeviceID  string
	TokenHash persistence.TokenHash
	Guest     bool
}

// newToken returns a random token: 32 bytes from crypto/rand, URL-safe
// base64, behind a short prefix that makes leaked Axon tokens easy to grep.
func newToken(prefix string) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

const deviceIDAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// NewDeviceID returns a random 10-letter device ID, like Synapse's.
func NewDeviceID() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = deviceIDAlphabet[int(b[i])%len(deviceIDAlphabet)]
	}
	return string(b)
}
