package federation

import (
	"context"
	"encoding/json"
)

// MissingEventsRequest is the body of POST
// /_matrix/federation/v1/get_missing_events/{roomId} (event_auth.yaml's
// sibling, backfill.yaml "get_missing_events").
type MissingEventsRequest struct {
	Limit          int      `json:"limit,omitempty"`
	MinDepth       int64    `json:"min_depth,omitempty"`
	EarliestEvents []string `json:"earliest_events"`
	LatestEvents   []string `json:"latest_events"`
}

// GetMissingEvents asks destination for the events of roomID that follow
// earliest and precede latest: the prev_events a received PDU names that
// this server lacks (server-server-api "Checks performed on receipt of a
// PDU": the receiver "may request them from the sending server").
func (c *Client) GetMissingEvents(ctx context.Context, destination, roomID string, req MissingEventsRequest) ([]json.RawMessage, error) {
	var res struct {
		Events []json.RawMessage `json:"events"`
	}
	if err := c.Post(ctx, destination, "/_matrix/federation/v1/get_missing_events/"+pathEscape(roomID), req, &res); err != nil {
		return nil, err
	}
	return res.Events, nil
}
