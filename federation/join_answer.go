package federation

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/axonhs/axon/rooms/canonical"
)

// ErrBadJoinAnswer reports a send_join answer that is not a JSON object
// of the shape the spec gives (server-server-api "Joining Rooms",
// PUT /v2/send_join response).
var ErrBadJoinAnswer = errors.New("federation: malformed send_join answer")

// joinAnswer is a send_join answer with each event kept as its raw JSON.
type joinAnswer struct {
	State          []json.RawMessage
	AuthChain      []json.RawMessage
	Event          json.RawMessage
	MembersOmitted bool
	ServersInRoom  []string
	Origin         string
}

// parseJoinAnswer splits a send_join answer into its events without
// decoding them: the answer of a large room is tens of megabytes, almost
// all of it events that checkEvents parses one by one anyway. The whole
// answer is checked to be well-formed JSON first (canonical.Members),
// then the state and auth_chain arrays are cut at their top-level commas.
// The small members are decoded with encoding/json. Unknown members are
// ignored; a repeated member keeps its last value, as encoding/json does.
func parseJoinAnswer(body []byte) (joinAnswer, error) {
	var a joinAnswer
	members, err := canonical.Members(body)
	if err != nil {
		return a, fmt.Errorf("%w: %w", ErrBadJoinAnswer, err)
	}
	for _, m := range members {
		switch m.Key {
		case "state":
			a.State, err = splitArray(m.Value)
		case "auth_chain":
			a.AuthChain, err = splitArray(m.Value)
		case "event":
			a.Event = nil
			if string(m.Value) != "null" {
				a.Event = json.RawMessage(m.Value)
			}
		case "members_omitted":
			err = json.Unmarshal(m.Value, &a.MembersOmitted)
		case "servers_in_room":
			a.ServersInRoom = nil
			err = json.Unmarshal(m.Value, &a.ServersInRoom)
		case "origin":
			err = json.Unmarshal(m.Value, &a.Origin)
		}
		if err != nil {
			return joinAnswer{}, fmt.Errorf("%w: %s: %w", ErrBadJoinAnswer, m.Key, err)
		}
	}
	return a, nil
}

// errNotArray reports a state or auth_chain member that is not an array.
var errNotArray = errors.New("not an array")

// splitArray returns the elements of a well-formed JSON array (null gives
// none), as slices of it. It relies on the input being valid JSON: it
// only tracks strings and nesting to find the top-level commas.
func splitArray(value []byte) ([]json.RawMessage, error) {
	if string(value) == "null" {
		return nil, nil
	}
	if len(value) < 2 || value[0] != '[' {
		return nil, errNotArray
	}
	var out []json.RawMessage
	depth, start, inString := 0, -1, false
	for i := 1; i < len(value)-1; i++ {
		c := value[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '"':
			inString = true
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, trimSpace(value[start:i]))
				start = -1
				continue
			}
		}
		if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		out = append(out, trimSpace(value[start:len(value)-1]))
	}
	return out, nil
}

func trimSpace(b []byte) json.RawMessage {
	end := len(b)
	for end > 0 && (b[end-1] == ' ' || b[end-1] == '\t' || b[end-1] == '\n' || b[end-1] == '\r') {
		end--
	}
	return json.RawMessage(b[:end:end])
}
