package client

import (
	"strings"

	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/rooms/ids"
)

// validLocalpart checks a localpart for a new account against the
// appendices grammar (rooms/ids.ValidLocalpart) and the 255-byte limit on the
// whole user ID.
func (a *API) validLocalpart(lp string) error {
	if lp == "" {
		return axhttp.Errorf(axhttp.CodeInvalidUsername, "User ID cannot be empty")
	}
	if ids.ValidLocalpart(lp) != nil {
		return axhttp.Errorf(axhttp.CodeInvalidUsername, "User ID can only contain a-z, 0-9 and -.=_/+")
	}
	if len(a.userID(lp)) > ids.MaxLength {
		return axhttp.Errorf(axhttp.CodeInvalidUsername, "User ID is longer than %d bytes", ids.MaxLength)
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
