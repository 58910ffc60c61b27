package mx

import (
	"encoding/json"
	"net/url"
	"strconv"
)

// SyncResponse is the part of a /sync answer the bench programs read
// (client-server API, "Syncing").
type SyncResponse struct {
	NextBatch string `json:"next_batch"`
	Rooms     struct {
		Join map[string]JoinedRoom `json:"join"`
	} `json:"rooms"`
}

// JoinedRoom is one room under rooms.join.
type JoinedRoom struct {
	Timeline struct {
		Events  []Event `json:"events"`
		Limited bool    `json:"limited"`
	} `json:"timeline"`
}

// Event is a client-format event, content left raw.
type Event struct {
	Type     string          `json:"type"`
	EventID  string          `json:"event_id"`
	Sender   string          `json:"sender"`
	StateKey *string         `json:"state_key"`
	Content  json.RawMessage `json:"content"`
}

// Sync sends GET /sync. since "" is an initial sync; filter is inline
// filter JSON or a filter ID ("" for none); timeoutMS is how long the server
// may hold the request when nothing is new.
func (c *Client) Sync(token, since, filter string, timeoutMS int) (*SyncResponse, error) {
	q := url.Values{}
	if since != "" {
		q.Set("since", since)
	}
	if filter != "" {
		q.Set("filter", filter)
	}
	q.Set("timeout", strconv.Itoa(timeoutMS))
	var out SyncResponse
	if err := c.Do("GET", "/_matrix/client/v3/sync?"+q.Encode(), token, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
