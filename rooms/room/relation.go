package room

import (
	"bytes"
	"encoding/json"
)

// relationOf reads content."m.relates_to" (client-server-api "Forming
// relationships between events": rel_type and event_id). Replies written
// only as m.in_reply_to carry no rel_type and are not relations.
func relationOf(content json.RawMessage) *Relation {
	if !bytes.Contains(content, []byte(`"m.relates_to"`)) {
		return nil
	}
	var c struct {
		RelatesTo struct {
			RelType string `json:"rel_type"`
			EventID string `json:"event_id"`
		} `json:"m.relates_to"`
	}
	if json.Unmarshal(content, &c) != nil || c.RelatesTo.RelType == "" || c.RelatesTo.EventID == "" {
		return nil
	}
	return &Relation{RelType: c.RelatesTo.RelType, EventID: c.RelatesTo.EventID}
}
