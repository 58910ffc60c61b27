package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"

	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/event"
)

// errBadFilter reports a filter parameter that is not a RoomEventFilter
// [400 M_INVALID_PARAM].
var errBadFilter = errors.New("client: malformed filter")

// eventFilter is a RoomEventFilter (data/api/client-server/definitions
// room_event_filter.yaml), the filter of /messages and /context.
type eventFilter struct {
	Limit           *int     `json:"limit"`
	Types           []string `json:"types"`
	NotTypes        []string `json:"not_types"`
	Senders         []string `json:"senders"`
	NotSenders      []string `json:"not_senders"`
	Rooms           []string `json:"rooms"`
	NotRooms        []string `json:"not_rooms"`
	ContainsURL     *bool    `json:"contains_url"`
	LazyLoadMembers bool     `json:"lazy_load_members"`
	// types being present (even empty) matters: [] matches nothing.
	typesSet bool
}

// parseEventFilter reads the filter query parameter, a JSON object ("" is
// no filter).
func parseEventFilter(s string) (eventFilter, error) {
	var f eventFilter
	s = strings.TrimSpace(s)
	if s == "" {
		return f, nil
	}
	if s[0] != '{' {
		return f, errBadFilter
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &probe); err != nil {
		return f, errBadFilter
	}
	if err := json.Unmarshal([]byte(s), &f); err != nil {
		return f, errBadFilter
	}
	if t, ok := probe["types"]; ok && !bytes.Equal(bytes.TrimSpace(t), []byte("null")) {
		f.typesSet = true
	}
	if f.Limit != nil && *f.Limit < 0 {
		return f, errBadFilter
	}
	return f, nil
}

// matches applies the filter to one event (room_event_filter.yaml: a
// "*" in a type pattern matches any run of characters; not_ lists win).
func (f *eventFilter) matches(roomID string, h eventHeader) bool {
	if len(f.NotRooms) > 0 && inList(f.NotRooms, roomID) {
		return false
	}
	if f.Rooms != nil && !inList(f.Rooms, roomID) {
		return false
	}
	if inList(f.NotSenders, h.Sender) {
		return false
	}
	if f.Senders != nil && !inList(f.Senders, h.Sender) {
		return false
	}
	for _, p := range f.NotTypes {
		if globMatch(p, h.Type) {
			return false
		}
	}
	if f.typesSet {
		ok := false
		for _, p := range f.Types {
			if globMatch(p, h.Type) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if f.ContainsURL != nil && *f.ContainsURL != contentHasURL(h.Content) {
		return false
	}
	return true
}

// contentHasURL reports whether content has a "url" key whose value is a
// string (Synapse's reading of contains_url).
func contentHasURL(c json.RawMessage) bool {
	var m struct {
		URL *string `json:"url"`
	}
	return json.Unmarshal(c, &m) == nil && m.URL != nil
}

func inList(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// globMatch matches s against pattern, where '*' matches any run of
// characters, including none.
func globMatch(pattern, s string) bool {
	if !strings.Contains(pattern, "*") {
		return pattern == s
	}
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}

// lazyMembers returns the member events, in the state before each event,
// of the senders of events (client-server-api "Lazy-loading room
// members"), each member event once.
func (v *roomView) lazyMembers(events []persistence.StoredEvent) ([]persistence.StoredEvent, error) {
	seen := map[uint64]bool{}
	senders := map[string]bool{}
	var out []persistence.StoredEvent
	for _, se := range events {
		h, err := v.header(se)
		if err != nil {
			return nil, err
		}
		if senders[h.Sender] {
			continue
		}
		senders[h.Sender] = true
		g, err := v.group(se.StateBefore)
		if err != nil {
			return nil, err
		}
		nid, ok := g.state[event.StateKey{Type: event.TypeMember, StateKey: h.Sender}]
		if !ok || seen[nid] {
			continue
		}
		seen[nid] = true
		m, err := v.store.EventByNID(nid)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}
