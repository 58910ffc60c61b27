package signing

import "errors"

var (
	// ErrBase64 reports a string that is not base64 in any of the encodings
	// the spec accepts.
	ErrBase64 = errors.New("signing: invalid base64")
	// ErrKeyID reports a key ID that is not "algorithm:version".
	ErrKeyID = errors.New("signing: invalid key ID")
	// ErrAlgorithm reports a key of an algorithm other than ed25519.
	ErrAlgorithm = errors.New("signing: unsupported key algorithm")
	// ErrSeed reports an ed25519 seed that is not 32 bytes.
	ErrSeed = errors.New("signing: ed25519 seed must be 32 bytes")
	// ErrPublicKey reports an ed25519 public key that is not 32 bytes.
	ErrPublicKey = errors.New("signing: ed25519 public key must be 32 bytes")
	// ErrKeyFile reports a malformed signing-key file.
	ErrKeyFile = errors.New("signing: malformed key file")
	// ErrNotObject reports JSON that is not an object where one is required,
	// including a signatures member, or a server's entry in it, that is not
	// an object.
	ErrNotObject = errors.New("signing: not a JSON object")
	// ErrNoSignature reports that the object carries no signature by the
	// given server with the given key.
	ErrNoSignature = errors.New("signing: no signature")
	// ErrMalformedSignature reports a signature that is not a string of
	// base64 encoding 64 bytes.
	ErrMalformedSignature = errors.New("signing: malformed signature")
	// ErrBadSignature reports a signature that does not verify.
	ErrBadSignature = errors.New("signing: signature does not verify")
	// ErrNoContentHash reports an event without a hashes.sha256 string.
	ErrNoContentHash = errors.New("signing: no sha256 content hash")
	// ErrContentHashMismatch reports an event whose hashes.sha256 differs
	// from the hash of its content.
	ErrContentHashMismatch = errors.New("signing: content hash mismatch")
)
