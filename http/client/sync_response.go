package client

import "encoding/json"

// The /sync response (sync.yaml). Sections with nothing in them are left
// out, except the key counts, which clients expect on every response.
type syncResponse struct {
	NextBatch      string         `json:"next_batch"`
	Rooms          *syncRooms     `json:"rooms,omitempty"`
	Presence       *eventList     `json:"presence,omitempty"`
	AccountData    *eventList     `json:"account_data,omitempty"`
	ToDevice       *eventList     `json:"to_device,omitempty"`
	DeviceLists    *deviceLists   `json:"device_lists,omitempty"`
	OTKCounts      map[string]int `json:"device_one_time_keys_count"`
	UnusedFallback []string       `json:"device_unused_fallback_key_types"`
}

type syncRooms struct {
	Join   map[string]*joinedRoom   `json:"join,omitempty"`
	Invite map[string]*strippedRoom `json:"invite,omitempty"`
	Leave  map[string]*leftRoom     `json:"leave,omitempty"`
	Knock  map[string]*strippedRoom `json:"knock,omitempty"`
}

type eventList struct {
	Events []json.RawMessage `json:"events"`
}

type syncTimeline struct {
	Events    []json.RawMessage `json:"events"`
	Limited   bool              `json:"limited"`
	PrevBatch string            `json:"prev_batch,omitempty"`
}

type roomSummary struct {
	Heroes  []string `json:"m.heroes,omitempty"`
	Joined  *int     `json:"m.joined_member_count,omitempty"`
	Invited *int     `json:"m.invited_member_count,omitempty"`
}

type unreadCounts struct {
	Highlight    int `json:"highlight_count"`
	Notification int `json:"notification_count"`
}

type joinedRoom struct {
	Summary     *roomSummary  `json:"summary,omitempty"`
	State       *eventList    `json:"state,omitempty"`
	StateAfter  *eventList    `json:"state_after,omitempty"`
	Timeline    *syncTimeline `json:"timeline,omitempty"`
	Ephemeral   *eventList    `json:"ephemeral,omitempty"`
	AccountData *eventList    `json:"account_data,omitempty"`
	Unread      *unreadCounts `json:"unread_notifications,omitempty"`
}

type leftRoom struct {
	State       *eventList    `json:"state,omitempty"`
	StateAfter  *eventList    `json:"state_after,omitempty"`
	Timeline    *syncTimeline `json:"timeline,omitempty"`
	AccountData *eventList    `json:"account_data,omitempty"`
}

// strippedRoom is an invited or knocked room: stripped state only. Invite
// and knock use different keys for it, so one of the two is set.
type strippedRoom struct {
	InviteState *eventList `json:"invite_state,omitempty"`
	KnockState  *eventList `json:"knock_state,omitempty"`
}

type deviceLists struct {
	Changed []string `json:"changed,omitempty"`
	Left    []string `json:"left,omitempty"`
}

// empty reports whether the response carries nothing new, so that a
// long-poll keeps waiting.
func (r *syncResponse) empty() bool {
	if r.Rooms != nil && (len(r.Rooms.Join)+len(r.Rooms.Invite)+len(r.Rooms.Leave)+len(r.Rooms.Knock)) > 0 {
		return false
	}
	if r.Presence != nil || r.AccountData != nil || r.ToDevice != nil {
		return false
	}
	return r.DeviceLists == nil
}

func listOf(events []json.RawMessage) *eventList {
	if len(events) == 0 {
		return nil
	}
	return &eventList{Events: events}
}
