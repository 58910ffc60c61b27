package federation

import (
	"strings"

	"github.com/axonhs/axon/rooms/ids"
)

// localpartOf returns the localpart of a user of this server; ok is false
// for another server's user or a malformed ID.
func (a *API) localpartOf(userID string) (string, bool) {
	u, err := ids.ParseUserIDLenient(userID)
	if err != nil || string(u.Server()) != a.cfg.ServerName {
		return "", false
	}
	return strings.TrimSuffix(strings.TrimPrefix(userID, "@"), ":"+a.cfg.ServerName), true
}
