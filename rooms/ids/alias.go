package ids

import "strings"

// RoomAlias is "#room_alias:server_name" (appendices.md "Room Aliases").
type RoomAlias string

// ParseRoomAlias checks s: "#", a non-empty localpart of valid non-surrogate
// code points other than ":" and NUL, ":", a server name, at most 255 bytes
// in all.
func ParseRoomAlias(s string) (RoomAlias, error) {
	local, server, err := splitID(s, '#')
	if err != nil {
		return "", err
	}
	if err := historicalLocalpart(local, false); err != nil {
		return "", err
	}
	if _, err := ParseServerName(server); err != nil {
		return "", err
	}
	return RoomAlias(s), nil
}

// Localpart is the part between "#" and the first ":".
func (a RoomAlias) Localpart() string { return opaqueOf(string(a)) }

// Server is the server name after the first ":".
func (a RoomAlias) Server() ServerName {
	_, server, _ := strings.Cut(string(a), ":")
	return ServerName(server)
}

func (a RoomAlias) String() string { return string(a) }
