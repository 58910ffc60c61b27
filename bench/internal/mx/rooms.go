package mx

import (
	"fmt"
	"net/url"
)

// CreateRoom creates a room with the given preset ("public_chat",
// "private_chat", ...) and returns its ID.
func (c *Client) CreateRoom(token, preset string) (string, error) {
	var out struct {
		RoomID string `json:"room_id"`
	}
	if err := c.Do("POST", "/_matrix/client/v3/createRoom", token, map[string]string{"preset": preset}, &out); err != nil {
		return "", err
	}
	if out.RoomID == "" {
		return "", fmt.Errorf("%w: createRoom answered without room_id", ErrBadAnswer)
	}
	return out.RoomID, nil
}

// Join joins roomID (POST /join/{roomIdOrAlias}).
func (c *Client) Join(token, roomID string) error {
	return c.Do("POST", "/_matrix/client/v3/join/"+url.PathEscape(roomID), token, []byte(`{}`), nil)
}

// Leave leaves roomID.
func (c *Client) Leave(token, roomID string) error {
	return c.Do("POST", "/_matrix/client/v3/rooms/"+url.PathEscape(roomID)+"/leave", token, []byte(`{}`), nil)
}

// Send sends one message event of eventType with the raw JSON content and
// returns its event ID (PUT /rooms/{roomId}/send/{eventType}/{txnId}).
func (c *Client) Send(token, roomID, eventType, txnID string, content []byte) (string, error) {
	var out struct {
		EventID string `json:"event_id"`
	}
	path := "/_matrix/client/v3/rooms/" + url.PathEscape(roomID) + "/send/" + url.PathEscape(eventType) + "/" + url.PathEscape(txnID)
	if err := c.Do("PUT", path, token, content, &out); err != nil {
		return "", err
	}
	if out.EventID == "" {
		return "", fmt.Errorf("%w: send answered without event_id", ErrBadAnswer)
	}
	return out.EventID, nil
}

// SetState sends a state event and returns its event ID
// (PUT /rooms/{roomId}/state/{eventType}/{stateKey}).
func (c *Client) SetState(token, roomID, eventType, stateKey string, content []byte) (string, error) {
	var out struct {
		EventID string `json:"event_id"`
	}
	path := "/_matrix/client/v3/rooms/" + url.PathEscape(roomID) + "/state/" + url.PathEscape(eventType) + "/" + url.PathEscape(stateKey)
	err := c.Do("PUT", path, token, content, &out)
	return out.EventID, err
}

// Typing sets userID's typing notification in roomID
// (PUT /rooms/{roomId}/typing/{userId}).
func (c *Client) Typing(token, roomID, userID string, typing bool, timeoutMS int) error {
	body := map[string]any{"typing": typing}
	if typing {
		body["timeout"] = timeoutMS
	}
	return c.Do("PUT", "/_matrix/client/v3/rooms/"+url.PathEscape(roomID)+"/typing/"+url.PathEscape(userID), token, body, nil)
}

// Receipt sends an m.read receipt for eventID
// (POST /rooms/{roomId}/receipt/m.read/{eventId}).
func (c *Client) Receipt(token, roomID, eventID string) error {
	path := "/_matrix/client/v3/rooms/" + url.PathEscape(roomID) + "/receipt/m.read/" + url.PathEscape(eventID)
	return c.Do("POST", path, token, []byte(`{}`), nil)
}
