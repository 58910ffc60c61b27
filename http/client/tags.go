package client

import (
	"encoding/json"
	"errors"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/user"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/persistence"
)

// Tags are stored as the room's m.tag account data (spec: modules/tags.md:
// "The tags on a room are received as single m.tag event").
const tagType = "m.tag"

type tagsContent struct {
	Tags map[string]json.RawMessage `json:"tags"`
}

func (a *API) roomTags(localpart, room string) (tagsContent, error) {
	c := tagsContent{Tags: map[string]json.RawMessage{}}
	d, err := a.cfg.Store.AccountData(localpart, room, tagType)
	if errors.Is(err, persistence.ErrNotFound) {
		return c, nil
	}
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(d.Content, &c); err != nil || c.Tags == nil {
		c.Tags = map[string]json.RawMessage{}
	}
	return c, nil
}

func (a *API) tagParams(ctx *fasthttp.RequestCtx, s user.Session) (room, tag string, err error) {
	if err := a.selfParam(ctx, s, "tags"); err != nil {
		return "", "", err
	}
	if room, err = roomParam(ctx); err != nil {
		return "", "", err
	}
	if ctx.UserValue("tag") != nil {
		if tag, err = axhttp.Param(ctx, "tag"); err != nil {
			return "", "", err
		}
		// Spec: tag names are at most 255 bytes.
		if tag == "" || len(tag) > 255 {
			return "", "", axhttp.Errorf(axhttp.CodeInvalidParam, "Invalid tag name")
		}
	}
	return room, tag, nil
}

// getTags is GET /user/{userId}/rooms/{roomId}/tags.
func (a *API) getTags(ctx *fasthttp.RequestCtx, s user.Session) error {
	room, _, err := a.tagParams(ctx, s)
	if err != nil {
		return err
	}
	c, err := a.roomTags(s.Localpart, room)
	if err != nil {
		return err
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, c)
	return nil
}

// putTag is PUT /user/{userId}/rooms/{roomId}/tags/{tag}; the body is the
// tag's object (optionally with a numeric order).
func (a *API) putTag(ctx *fasthttp.RequestCtx, s user.Session) error {
	room, tag, err := a.tagParams(ctx, s)
	if err != nil {
		return err
	}
	var body map[string]json.RawMessage
	if err := axhttp.DecodeJSON(ctx, &body); err != nil {
		return err
	}
	if o, ok := body["order"]; ok {
		var f float64
		if err := json.Unmarshal(o, &f); err != nil {
			return axhttp.Errorf(axhttp.CodeBadJSON, "order must be a number")
		}
	}
	raw, _ := json.Marshal(body)
	return a.editTags(ctx, s, room, func(c *tagsContent) { c.Tags[tag] = raw })
}

// deleteTag is DELETE /user/{userId}/rooms/{roomId}/tags/{tag}.
func (a *API) deleteTag(ctx *fasthttp.RequestCtx, s user.Session) error {
	room, tag, err := a.tagParams(ctx, s)
	if err != nil {
		return err
	}
	return a.editTags(ctx, s, room, func(c *tagsContent) { delete(c.Tags, tag) })
}

// editTags applies edit to the room's m.tag content on the user's actor.
func (a *API) editTags(ctx *fasthttp.RequestCtx, s user.Session, room string, edit func(*tagsContent)) error {
	cmd := user.EditAccountData{RoomID: room, Type: tagType, Edit: func(old json.RawMessage) (json.RawMessage, error) {
		c := tagsContent{Tags: map[string]json.RawMessage{}}
		if old != nil {
			if err := json.Unmarshal(old, &c); err != nil || c.Tags == nil {
				c.Tags = map[string]json.RawMessage{}
			}
		}
		edit(&c)
		return json.Marshal(c)
	}}
	if _, err := a.doUser(s.Localpart, cmd); err != nil {
		return err
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, struct{}{})
	return nil
}
