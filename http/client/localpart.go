package client

import (
	"strings"

	axhttp "github.com/axonhs/axon/http"
)

// maxUserIDBytes is the spec's limit on a whole user ID (appendices,
// "User Identifiers").
const maxUserIDBytes = 255

// validLocalpart checks a localpart for a new account against the
// appendices grammar: user_id_char = DIGIT / %x61-7A / "-" / "." / "=" / "_"
// / "/" / "+", and the whole user ID at most 255 bytes.
func (a *API) validLocalpart(lp string) error {
	if lp == "" {
		return axhttp.Errorf(axhttp.CodeInvalidUsername, "User ID cannot be empty")
	}
	for i := 0; i < len(lp); i++ {
		c := lp[i]
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("-.=_/+", c) >= 0
		if !ok {
			return axhttp.Errorf(axhttp.CodeInvalidUsername, "User ID can only contain a-z, 0-9 and -.=_/+")
		}
	}
	if len(a.userID(lp)) > maxUserIDBytes {
		return axhttp.Errorf(axhttp.CodeInvalidUsername, "User ID is longer than %d bytes", maxUserIDBytes)
	}
	return nil
}

// loginLocalpart turns what a client names itself with at login (a full
// user ID or a bare localpart) into a local localpart. Lookups are
// case-insensitive, like Synapse's. ok is false for another server's users.
func (a *API) loginLocalpart(id string) (string, bool) {
	id = strings.ToLower(strings.TrimSpace(id))
	if strings.HasPrefix(id, "@") {
		lp, server, found := strings.Cut(id[1:], ":")
		if !found || server != strings.ToLower(a.cfg.ServerName) {
			return "", false
		}
		id = lp
	}
	return id, id != ""
}
