package client

import (
	"errors"
	"strconv"
	"strings"
)

// errBadToken reports a pagination token Axon did not issue; the handlers
// answer 400 M_INVALID_PARAM.
var errBadToken = errors.New("client: malformed pagination token")

// roomToken is a position in one room's timeline, between two events:
// the events at or before it are "before", the others "after". Topo is the
// room's topological ordering and Stream the global stream ordering that
// breaks ties between events of equal depth, so (Topo, Stream) orders a
// room's events totally.
//
// Written "t<topo>_<stream>", like the "t47429-4392820..." tokens the spec's
// examples show (message_pagination.yaml); the spec leaves the format to the
// server.
type roomToken struct {
	Topo   uint64
	Stream uint64
}

func (t roomToken) String() string {
	b := make([]byte, 0, 42)
	b = append(b, 't')
	b = strconv.AppendUint(b, t.Topo, 10)
	b = append(b, '_')
	b = strconv.AppendUint(b, t.Stream, 10)
	return string(b)
}

// less orders positions.
func (t roomToken) less(u roomToken) bool {
	if t.Topo != u.Topo {
		return t.Topo < u.Topo
	}
	return t.Stream < u.Stream
}

// parseRoomToken reads a token written by roomToken.String. It accepts only
// canonical decimal numbers, so every token has one spelling.
func parseRoomToken(s string) (roomToken, error) {
	rest, ok := strings.CutPrefix(s, "t")
	if !ok {
		return roomToken{}, errBadToken
	}
	topo, stream, ok := strings.Cut(rest, "_")
	if !ok {
		return roomToken{}, errBadToken
	}
	t, err1 := parseCanonicalUint(topo)
	st, err2 := parseCanonicalUint(stream)
	if err1 != nil || err2 != nil {
		return roomToken{}, errBadToken
	}
	return roomToken{Topo: t, Stream: st}, nil
}

// parseCanonicalUint parses a decimal uint64 without sign or leading zeros.
func parseCanonicalUint(s string) (uint64, error) {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return 0, errBadToken
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errBadToken
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, errBadToken
	}
	return n, nil
}

// pageFrom is a pagination position as a client may give it: a room
// token of ours, or a /sync token, whose first number is a position in the
// global stream ordering ("s<stream>" with optional "_"-separated parts
// after it, the shape of the spec's example s345_678_333).
type pageFrom struct {
	room   roomToken
	stream bool // only room.Stream is set, from a /sync token
}

// parsePageFrom reads either kind of token.
func parsePageFrom(s string) (pageFrom, error) {
	if rest, ok := strings.CutPrefix(s, "s"); ok {
		num, _, _ := strings.Cut(rest, "_")
		n, err := parseCanonicalUint(num)
		if err != nil {
			return pageFrom{}, errBadToken
		}
		return pageFrom{room: roomToken{Stream: n}, stream: true}, nil
	}
	t, err := parseRoomToken(s)
	return pageFrom{room: t}, err
}
