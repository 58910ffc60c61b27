package ids

import (
	"fmt"
	"strings"
)

// RoomID is "!opaque_id:server_name" in room versions 1 to 11, and
// "!" followed by the URL-safe unpadded base64 reference hash of the
// m.room.create event in room version 12 (appendices.md "Room IDs").
type RoomID string

// ParseRoomID accepts both room ID forms. With a ":" the part before it is a
// localpart of valid non-surrogate code points other than NUL, and the part
// after it a server name; without one the ID must be a hash ID as
// ParseEventID accepts (the grammar of v12 room IDs is that of event IDs,
// with "!" as sigil). Either form is at most 255 bytes.
func ParseRoomID(s string) (RoomID, error) {
	if err := parseOpaqueOrServer(s, '!', false); err != nil {
		return "", err
	}
	return RoomID(s), nil
}

// HasServer reports whether the room ID has a server part (room versions
// before 12).
func (r RoomID) HasServer() bool { return strings.Contains(string(r), ":") }

// Server is the server name of a room ID with a server part, "" otherwise.
func (r RoomID) Server() ServerName { return serverOf(string(r)) }

// Opaque is the part after the sigil and before the server part: the
// localpart, or the base64 hash of a v12 room ID.
func (r RoomID) Opaque() string { return opaqueOf(string(r)) }

func (r RoomID) String() string { return string(r) }

// EventID is "$opaque_id:server_name" in room versions 1 and 2, and "$"
// followed by the unpadded base64 reference hash from room version 3 on
// (standard alphabet in version 3, URL-safe from version 4).
type EventID string

// ParseEventID accepts both event ID forms without knowing the room
// version: with a ":" a localpart and a server name as in ParseRoomID;
// without one 43 characters of one base64 alphabet (a 32-byte SHA-256).
// Whether the form fits the room's version is checked by rooms/event.
func ParseEventID(s string) (EventID, error) {
	if err := parseOpaqueOrServer(s, '$', true); err != nil {
		return "", err
	}
	return EventID(s), nil
}

// HasServer reports whether the event ID has a server part (room versions
// 1 and 2).
func (e EventID) HasServer() bool { return strings.Contains(string(e), ":") }

// Server is the server name of an event ID with a server part, "" otherwise.
func (e EventID) Server() ServerName { return serverOf(string(e)) }

// Opaque is the part after the sigil and before the server part.
func (e EventID) Opaque() string { return opaqueOf(string(e)) }

func (e EventID) String() string { return string(e) }

// hashIDLength is the length of unpadded base64 of a SHA-256 hash.
const hashIDLength = 43

func parseOpaqueOrServer(s string, sigil byte, standardAlphabetOK bool) error {
	if len(s) == 0 || s[0] != sigil {
		return fmt.Errorf("%w: %q does not start with %q", ErrSigil, s, sigil)
	}
	if len(s) > MaxLength {
		return fmt.Errorf("%w: %d bytes", ErrTooLong, len(s))
	}
	local, server, ok := strings.Cut(s[1:], ":")
	if !ok {
		if !validHashID(local, standardAlphabetOK) {
			return fmt.Errorf("%w: %q", ErrOpaque, s)
		}
		return nil
	}
	if err := historicalLocalpart(local, false); err != nil {
		return err
	}
	_, err := ParseServerName(server)
	return err
}

// validHashID checks for 43 characters of the URL-safe base64 alphabet or,
// if allowed, of the standard one (room version 3 event IDs), not mixed.
func validHashID(s string, standardAlphabetOK bool) bool {
	if len(s) != hashIDLength {
		return false
	}
	urlSafe, standard := false, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		case c == '-' || c == '_':
			urlSafe = true
		case c == '+' || c == '/':
			standard = true
		default:
			return false
		}
	}
	return !(urlSafe && standard) && (!standard || standardAlphabetOK)
}

func serverOf(s string) ServerName {
	_, server, _ := strings.Cut(s, ":")
	return ServerName(server)
}

func opaqueOf(s string) string {
	if s == "" {
		return ""
	}
	local, _, _ := strings.Cut(s[1:], ":")
	return local
}
