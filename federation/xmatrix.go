package federation

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/axonhs/axon/rooms/canonical"
	"github.com/axonhs/axon/rooms/signing"
)

// Authorization is one X-Matrix Authorization header (server-server-api
// "Request Authentication").
type Authorization struct {
	Origin string
	// Destination is empty when the sender left it out; recipients must
	// accept that for compatibility with servers before spec v1.3.
	Destination string
	Key         signing.KeyID
	Sig         string
}

// String renders the header value the way the spec asks senders to write
// it: one space after the scheme, lower-case names, quoted values, no
// whitespace around commas.
func (a Authorization) String() string {
	var b strings.Builder
	b.WriteString(`X-Matrix origin=`)
	writeQuoted(&b, a.Origin)
	b.WriteString(`,destination=`)
	writeQuoted(&b, a.Destination)
	b.WriteString(`,key=`)
	writeQuoted(&b, string(a.Key))
	b.WriteString(`,sig=`)
	writeQuoted(&b, a.Sig)
	return b.String()
}

func writeQuoted(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
}

// requestJSON is the canonical JSON object a request signature covers
// (server-server-api "Request Authentication", step 1). content is the raw
// request body; nil or empty means the request has none.
func requestJSON(method, uri, origin, destination string, content []byte) ([]byte, error) {
	obj := map[string]any{
		"method":      method,
		"uri":         uri,
		"origin":      origin,
		"destination": destination,
	}
	if len(content) > 0 {
		if !json.Valid(content) {
			return nil, fmt.Errorf("%w: request body is not JSON", ErrBadSignature)
		}
		obj["content"] = json.RawMessage(content)
	}
	b, err := canonical.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	return b, nil
}

// SignRequest returns the X-Matrix Authorization header for a request from
// origin to destination. uri is the path with its query string exactly as
// it goes on the wire; content the raw JSON body (nil for none).
func SignRequest(key signing.KeyPair, origin, destination, method, uri string, content []byte) (string, error) {
	msg, err := requestJSON(method, uri, origin, destination, content)
	if err != nil {
		return "", err
	}
	sig := ed25519.Sign(key.Private, msg)
	return Authorization{Origin: origin, Destination: destination, Key: key.ID, Sig: signing.EncodeBase64(sig)}.String(), nil
}

// VerifyRequest checks that a's signature with public covers the request as
// received by destination (our own server name, used whether or not the
// header names a destination). uri must be the request target exactly as it
// arrived, not re-encoded.
func VerifyRequest(a Authorization, public ed25519.PublicKey, destination, method, uri string, content []byte) error {
	if a.Destination != "" && a.Destination != destination {
		return fmt.Errorf("%w: %q", ErrWrongDestination, a.Destination)
	}
	sig, err := signing.DecodeBase64(a.Sig)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return fmt.Errorf("%w: signature is not base64 of 64 bytes", ErrBadSignature)
	}
	msg, err := requestJSON(method, uri, a.Origin, destination, content)
	if err != nil {
		return err
	}
	if len(public) != ed25519.PublicKeySize || !ed25519.Verify(public, msg, sig) {
		return ErrBadSignature
	}
	return nil
}
