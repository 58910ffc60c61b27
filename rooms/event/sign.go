package event

import (
	"crypto/ed25519"
	"fmt"

	"github.com/axonhs/axon/rooms/canonical"
	"github.com/axonhs/axon/rooms/signing"
	"github.com/axonhs/axon/rooms/version"
)

// SignEvent adds serverName's signature with key to an event, following
// server-server-api "Adding hashes and signatures to outgoing events": if the
// event has no hashes.sha256 its content hash is computed and stored first;
// then the event is redacted, the redacted form is signed (appendices
// "Signing JSON"), and the signature is copied back into the full event.
// Signatures already present are kept. An event that already carries a
// content hash keeps it, so a server adding its own signature to another
// server's event (invites, joins) does not alter what that server hashed.
// The result is the full event as canonical JSON.
func SignEvent(raw []byte, v version.Spec, serverName string, key signing.KeyPair) ([]byte, error) {
	canon, err := canonicalize(raw, v)
	if err != nil {
		return nil, err
	}
	members, err := objectMembers(canon, "event")
	if err != nil {
		return nil, err
	}
	if members, err = withContentHash(members, canon); err != nil {
		return nil, err
	}
	redacted, err := redactMembers(members, v, false)
	if err != nil {
		return nil, err
	}
	signatures, err := signRedacted(appendObject(redacted), serverName, key)
	if err != nil {
		return nil, err
	}
	members = setMember(members, "signatures", signatures)
	return appendObject(members), nil
}

// signRedacted signs the canonical redacted event and returns the resulting
// signatures object (the redacted event's own signatures plus the new one).
func signRedacted(redacted []byte, serverName string, key signing.KeyPair) ([]byte, error) {
	signed, err := signing.SignJSON(redacted, serverName, key)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSignature, err)
	}
	members, err := canonical.Members(signed)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSignature, err)
	}
	signatures := member(members, "signatures")
	if signatures == nil {
		return nil, fmt.Errorf("%w: signer returned no signatures", ErrSignature)
	}
	return signatures, nil
}

// withContentHash returns members with hashes.sha256 set to the content
// hash of the event canon, unless the event already has a sha256 string.
func withContentHash(members []canonical.Member, canon []byte) ([]canonical.Member, error) {
	var hashMembers []canonical.Member
	if hashes := member(members, "hashes"); hashes != nil {
		var err error
		if hashMembers, err = objectMembers(hashes, "hashes"); err != nil {
			return nil, err
		}
		if _, ok := stringMember(hashMembers, "sha256"); ok {
			return members, nil
		}
	}
	sum, err := signing.ContentHash(canon)
	if err != nil {
		return nil, fmt.Errorf("%w: content hash: %w", ErrBadJSON, err)
	}
	value := canonical.AppendString(nil, signing.EncodeBase64(sum[:]))
	hashMembers = setMember(hashMembers, "sha256", value)
	return setMember(members, "hashes", canonical.AppendObject(nil, hashMembers)), nil
}

// setMember replaces the value of key, or appends the member.
func setMember(members []canonical.Member, key string, value []byte) []canonical.Member {
	for i := range members {
		if members[i].Key == key {
			members[i].Value = value
			return members
		}
	}
	return append(members, canonical.Member{Key: key, Value: value})
}

// VerifyEventSignature checks serverName's signature with key keyID on an
// event: the event is redacted and the redacted form checked as in
// appendices "Checking for a Signature", so a redacted copy of an event
// verifies as well as the full one (server-server-api "Validating hashes and
// signatures on received events"). Which servers must have signed, and with
// which keys, is the caller's decision.
func VerifyEventSignature(raw []byte, v version.Spec, serverName string, keyID signing.KeyID, public ed25519.PublicKey) error {
	redacted, err := Redact(raw, v)
	if err != nil {
		return err
	}
	if err := signing.VerifyJSON(redacted, serverName, keyID, public); err != nil {
		return fmt.Errorf("%w: %s %s: %w", ErrSignature, serverName, keyID, err)
	}
	return nil
}
