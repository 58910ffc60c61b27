package client

import (
	"golang.org/x/crypto/bcrypt"

	axhttp "github.com/axonhs/axon/http"
)

// maxPasswordBytes is bcrypt's input limit; longer passwords would be
// silently truncated by some implementations, so they are refused.
const maxPasswordBytes = 72

func checkNewPassword(pw string) error {
	if len(pw) > maxPasswordBytes {
		return axhttp.Errorf(axhttp.CodeInvalidParam, "Password is longer than %d bytes", maxPasswordBytes)
	}
	return nil
}

func hashPassword(pw string, cost int) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), cost)
	return string(h), err
}

// passwordMatches compares in constant time per hash; an over-long password
// never matches.
func passwordMatches(hash, pw string) bool {
	if hash == "" || len(pw) > maxPasswordBytes {
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
}
