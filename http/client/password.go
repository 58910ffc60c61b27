package client

import (
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/text/unicode/norm"

	axhttp "github.com/axonhs/axon/http"
)

// maxPasswordBytes is bcrypt's input limit; longer passwords would be
// silently truncated by some implementations, so they are refused.
const maxPasswordBytes = 72

// normalisePassword maps a password to Unicode NFKC, as Synapse does before
// it hashes or checks one, so the same password typed with a different
// composition (a precomposed "é" or "e" followed by U+0301) is the same
// secret. The spec leaves password handling to the server (client-server
// API, "Password-based" authentication); NFKC follows NIST SP 800-63B
// 5.1.1.2.
func normalisePassword(pw string) string {
	return norm.NFKC.String(pw)
}

// checkNewPassword checks a password about to be hashed; the limit applies
// to the normalised form, the bytes bcrypt actually reads.
func checkNewPassword(pw string) error {
	if len(normalisePassword(pw)) > maxPasswordBytes {
		return axhttp.Errorf(axhttp.CodeInvalidParam, "Password is longer than %d bytes", maxPasswordBytes)
	}
	return nil
}

// hashPassword bcrypt-hashes the NFKC form of pw.
func hashPassword(pw string, cost int) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(normalisePassword(pw)), cost)
	return string(h), err
}

// passwordMatches reports whether pw is the password behind hash. It tries
// the NFKC form first; when that differs from what was typed it also tries
// the raw form, which is how hashes made before Axon normalised (and those
// from `axon hash-password`, which hashes bytes as given) keep working. An
// over-long password never matches.
func passwordMatches(hash, pw string) bool {
	if hash == "" {
		return false
	}
	nfkc := normalisePassword(pw)
	if len(nfkc) <= maxPasswordBytes && bcrypt.CompareHashAndPassword([]byte(hash), []byte(nfkc)) == nil {
		return true
	}
	if nfkc == pw || len(pw) > maxPasswordBytes {
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
}
