package signing

import (
	"fmt"
	"strings"
)

// KeyID is a signing key identifier, "algorithm:version" (appendices.md
// "Signing Details"), such as "ed25519:a_AbCd".
type KeyID string

// AlgorithmEd25519 is the only signing algorithm homeservers use
// (server-server-api.md "Retrieving server keys").
const AlgorithmEd25519 = "ed25519"

// ParseKeyID checks s against the key ID grammar: an algorithm of lower-case
// letters, digits and "_", a colon, and a version matching [a-zA-Z0-9_]+
// (server-server-api keys.yaml: "The version must have characters matching
// the regular expression [a-zA-Z0-9_]"). Any algorithm is accepted, so that
// verifiers can skip signatures by algorithms they do not know
// (appendices.md "Checking for a Signature", step 2).
func ParseKeyID(s string) (KeyID, error) {
	alg, version, ok := strings.Cut(s, ":")
	if !ok || alg == "" || version == "" {
		return "", fmt.Errorf("%w: %q is not algorithm:version", ErrKeyID, s)
	}
	for i := 0; i < len(alg); i++ {
		if c := alg[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return "", fmt.Errorf("%w: algorithm %q", ErrKeyID, alg)
		}
	}
	if !ValidKeyVersion(version) {
		return "", fmt.Errorf("%w: version %q", ErrKeyID, version)
	}
	return KeyID(s), nil
}

// ValidKeyVersion reports whether v is a non-empty [a-zA-Z0-9_]+ key version.
func ValidKeyVersion(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// Algorithm is the part before the colon.
func (id KeyID) Algorithm() string {
	alg, _, _ := strings.Cut(string(id), ":")
	return alg
}

// Version is the part after the colon.
func (id KeyID) Version() string {
	_, v, _ := strings.Cut(string(id), ":")
	return v
}

func (id KeyID) String() string { return string(id) }
