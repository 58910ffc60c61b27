package ids

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// UserID is "@localpart:server_name" (appendices.md "User Identifiers").
type UserID string

// ParseUserID checks s against the current user ID grammar:
//
//	user_id = "@" user_id_localpart ":" server_name
//	user_id_localpart = 1*user_id_char
//	user_id_char = DIGIT / %x61-7A / "-" / "." / "=" / "_" / "/" / "+"
//
// and the 255-byte limit. Use it for IDs this server creates or is asked to
// create; use ParseUserIDLenient for IDs in events from other servers.
func ParseUserID(s string) (UserID, error) {
	local, server, err := splitID(s, '@')
	if err != nil {
		return "", err
	}
	if err := ValidLocalpart(local); err != nil {
		return "", err
	}
	if _, err := ParseServerName(server); err != nil {
		return "", err
	}
	return UserID(s), nil
}

// ParseUserIDLenient accepts the historical user IDs the spec still requires
// servers to handle (appendices.md "Historical User IDs"): a localpart of any
// non-surrogate code points except ":" and NUL, including the empty string
// and control characters. The server name and the 255-byte limit are checked
// as for ParseUserID.
func ParseUserIDLenient(s string) (UserID, error) {
	local, server, err := splitID(s, '@')
	if err != nil {
		return "", err
	}
	if err := historicalLocalpart(local, true); err != nil {
		return "", err
	}
	if _, err := ParseServerName(server); err != nil {
		return "", err
	}
	return UserID(s), nil
}

// NewUserID builds the user ID of a new local account, checking it as
// ParseUserID does.
func NewUserID(localpart string, server ServerName) (UserID, error) {
	return ParseUserID("@" + localpart + ":" + string(server))
}

// ValidLocalpart checks a localpart for registration against
// user_id_localpart: non-empty, only a-z, 0-9, ".", "_", "=", "-", "/" and
// "+" (appendices.md "User Identifiers"). It does not check the length of the
// full user ID; NewUserID does.
func ValidLocalpart(s string) error {
	if s == "" {
		return fmt.Errorf("%w: empty", ErrLocalpart)
	}
	for i := 0; i < len(s); i++ {
		if !isUserIDChar(s[i]) {
			return fmt.Errorf("%w: %q: character %q not allowed", ErrLocalpart, s, s[i])
		}
	}
	return nil
}

func isUserIDChar(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'z' || strings.IndexByte("-.=_/+", c) >= 0
}

// Localpart is the part between "@" and the first ":".
func (u UserID) Localpart() string {
	local, _, _ := strings.Cut(string(u)[min(1, len(u)):], ":")
	return local
}

// Server is the server name after the first ":".
func (u UserID) Server() ServerName {
	_, server, _ := strings.Cut(string(u), ":")
	return ServerName(server)
}

// Compliant reports whether the localpart is non-empty and within U+0021 to
// U+007E. Non-compliant (historical) IDs are accepted in events, but servers
// SHOULD NOT forward them to clients outside the context of an event
// (appendices.md "Historical User IDs").
func (u UserID) Compliant() bool {
	local := u.Localpart()
	if local == "" {
		return false
	}
	for i := 0; i < len(local); i++ {
		if local[i] < 0x21 || local[i] > 0x7E {
			return false
		}
	}
	return true
}

func (u UserID) String() string { return string(u) }

// splitID checks the sigil and the length and splits "&local:server" at the
// first colon (localparts never contain one).
func splitID(s string, sigil byte) (local, server string, err error) {
	if len(s) == 0 || s[0] != sigil {
		return "", "", fmt.Errorf("%w: %q does not start with %q", ErrSigil, s, sigil)
	}
	if len(s) > MaxLength {
		return "", "", fmt.Errorf("%w: %d bytes", ErrTooLong, len(s))
	}
	local, server, ok := strings.Cut(s[1:], ":")
	if !ok {
		return "", "", fmt.Errorf("%w: %q", ErrNoServer, s)
	}
	return local, server, nil
}

// historicalLocalpart checks the localpart rule shared by historical user
// IDs, room IDs with a server part, v1 event IDs and room aliases: valid
// UTF-8 (so no surrogates), no NUL (":" cannot occur after splitID).
func historicalLocalpart(s string, emptyOK bool) error {
	if s == "" && !emptyOK {
		return fmt.Errorf("%w: empty", ErrLocalpart)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %q is not valid UTF-8", ErrLocalpart, s)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("%w: %q contains NUL", ErrLocalpart, s)
	}
	return nil
}
