package filter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Sentinel errors of Parse. ErrBadJSON is the wrong JSON shape (M_BAD_JSON
// at the edge); ErrInvalid is a well-typed but disallowed value
// (M_INVALID_PARAM).
var (
	ErrBadJSON = errors.New("filter: malformed filter JSON")
	ErrInvalid = errors.New("filter: invalid filter value")
)

// Filter is a whole filter (spec: filter.yaml, Filter).
type Filter struct {
	EventFields []string    `json:"event_fields,omitempty"`
	EventFormat string      `json:"event_format,omitempty"`
	Presence    EventFilter `json:"presence"`
	AccountData EventFilter `json:"account_data"`
	Room        RoomFilter  `json:"room"`
}

// EventFilter selects non-room events (presence, global account data).
// A nil list means "no restriction"; an empty list in Types or Senders
// excludes everything.
type EventFilter struct {
	Limit      int       `json:"limit,omitempty"`
	Types      *[]string `json:"types,omitempty"`
	NotTypes   []string  `json:"not_types,omitempty"`
	Senders    *[]string `json:"senders,omitempty"`
	NotSenders []string  `json:"not_senders,omitempty"`
}

// RoomFilter selects rooms and, per section, their events.
type RoomFilter struct {
	Rooms        *[]string       `json:"rooms,omitempty"`
	NotRooms     []string        `json:"not_rooms,omitempty"`
	IncludeLeave bool            `json:"include_leave,omitempty"`
	Ephemeral    RoomEventFilter `json:"ephemeral"`
	State        RoomEventFilter `json:"state"`
	Timeline     RoomEventFilter `json:"timeline"`
	AccountData  RoomEventFilter `json:"account_data"`
}

// RoomEventFilter selects room events (spec: RoomEventFilter).
type RoomEventFilter struct {
	EventFilter
	Rooms                     *[]string `json:"rooms,omitempty"`
	NotRooms                  []string  `json:"not_rooms,omitempty"`
	ContainsURL               *bool     `json:"contains_url,omitempty"`
	LazyLoadMembers           bool      `json:"lazy_load_members,omitempty"`
	IncludeRedundantMembers   bool      `json:"include_redundant_members,omitempty"`
	UnreadThreadNotifications bool      `json:"unread_thread_notifications,omitempty"`
}

// Parse decodes and validates a filter. Unknown fields are ignored, as the
// spec lets servers do; fields of the wrong type are ErrBadJSON.
func Parse(data []byte) (Filter, error) {
	var f Filter
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' || !json.Valid(data) {
		return f, fmt.Errorf("%w: not a JSON object", ErrBadJSON)
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return Filter{}, fmt.Errorf("%w: %v", ErrBadJSON, err)
	}
	if err := f.validate(); err != nil {
		return Filter{}, err
	}
	return f, nil
}

func (f *Filter) validate() error {
	switch f.EventFormat {
	case "", "client", "federation":
	default:
		return fmt.Errorf("%w: event_format must be client or federation", ErrInvalid)
	}
	for _, ef := range f.EventFields {
		if ef == "" {
			return fmt.Errorf("%w: empty event_fields entry", ErrInvalid)
		}
	}
	checks := []struct {
		name string
		ef   EventFilter
	}{
		{"presence", f.Presence}, {"account_data", f.AccountData},
		{"room.ephemeral", f.Room.Ephemeral.EventFilter}, {"room.state", f.Room.State.EventFilter},
		{"room.timeline", f.Room.Timeline.EventFilter}, {"room.account_data", f.Room.AccountData.EventFilter},
	}
	for _, c := range checks {
		// Spec: limit "must be an integer greater than 0"; an absent limit
		// decodes as 0 and means the server's default.
		if c.ef.Limit < 0 {
			return fmt.Errorf("%w: %s.limit must be greater than 0", ErrInvalid, c.name)
		}
	}
	return nil
}

// Event is what the matcher needs to know of one event.
type Event struct {
	RoomID string
	Sender string
	Type   string
	// HasURL is whether the content has a "url" key (see ContainsURL).
	HasURL bool
}

// ContainsURL reports whether event content has a "url" string, the test
// behind contains_url.
func ContainsURL(content json.RawMessage) bool {
	var c struct {
		URL *string `json:"url"`
	}
	return json.Unmarshal(content, &c) == nil && c.URL != nil
}

// Match reports whether e passes the filter's type and sender conditions.
// not_* lists win over the allow lists.
func (f EventFilter) Match(e Event) bool {
	if matchAny(f.NotTypes, e.Type) || contains(f.NotSenders, e.Sender) {
		return false
	}
	if f.Types != nil && !matchAny(*f.Types, e.Type) {
		return false
	}
	if f.Senders != nil && !contains(*f.Senders, e.Sender) {
		return false
	}
	return true
}

// Match reports whether the room event e passes the filter.
func (f RoomEventFilter) Match(e Event) bool {
	if contains(f.NotRooms, e.RoomID) {
		return false
	}
	if f.Rooms != nil && !contains(*f.Rooms, e.RoomID) {
		return false
	}
	if f.ContainsURL != nil && *f.ContainsURL != e.HasURL {
		return false
	}
	return f.EventFilter.Match(e)
}

// IncludesRoom reports whether the room filter lets roomID through.
func (f RoomFilter) IncludesRoom(roomID string) bool {
	if contains(f.NotRooms, roomID) {
		return false
	}
	return f.Rooms == nil || contains(*f.Rooms, roomID)
}

// LimitOr returns the filter's limit, or def when it sets none.
func (f EventFilter) LimitOr(def int) int {
	if f.Limit > 0 {
		return f.Limit
	}
	return def
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func matchAny(patterns []string, s string) bool {
	for _, p := range patterns {
		if Glob(p, s) {
			return true
		}
	}
	return false
}

// Glob matches s against pattern, where "*" stands for any run of
// characters (spec: filter types "A '*' can be used as a wildcard").
func Glob(pattern, s string) bool {
	// Iterative matching with backtracking to the last star: linear in
	// practice, never exponential.
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && pattern[p] == s[i]:
			p++
			i++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
