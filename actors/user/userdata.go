package user

import (
	"encoding/json"
	"errors"
	"strconv"

	"github.com/axonhs/axon/persistence"
)

// SetAccountData stores one account-data entry (RoomID "" for global data)
// and returns its position in the user's account-data stream.
type SetAccountData struct {
	RoomID, Type string
	Content      json.RawMessage
}

func (c SetAccountData) apply(s *state) (any, error) {
	var prev *persistence.AccountData
	old, err := s.store.AccountData(s.localpart, c.RoomID, c.Type)
	switch {
	case err == nil:
		prev = &old
	case !errors.Is(err, persistence.ErrNotFound):
		return nil, err
	}
	last, err := s.store.AccountDataPosition(s.localpart)
	if err != nil {
		return nil, err
	}
	b := s.store.NewBatch()
	b.PutAccountData(s.localpart, c.RoomID, c.Type, c.Content, last+1, prev)
	return last + 1, s.commit(b, nil)
}

// SaveFilter stores a filter and returns its ID (spec: POST
// /user/{userId}/filter).
type SaveFilter struct{ JSON json.RawMessage }

func (c SaveFilter) apply(s *state) (any, error) {
	last, err := s.store.LastFilterID(s.localpart)
	if err != nil {
		return nil, err
	}
	b := s.store.NewBatch()
	b.PutFilter(s.localpart, last+1, c.JSON)
	return strconv.FormatUint(last+1, 10), s.commit(b, nil)
}

// SetProfile changes the display name and/or avatar URL (nil: unchanged;
// "": removed) and returns the new profile. After the commit the
// directory's profile hook, if any, hears of the change.
type SetProfile struct {
	DisplayName *string
	AvatarURL   *string
}

func (c SetProfile) apply(s *state) (any, error) {
	if _, err := s.liveAccount(); err != nil {
		return nil, err
	}
	p, err := s.store.Profile(s.localpart)
	if err != nil && !errors.Is(err, persistence.ErrNotFound) {
		return nil, err
	}
	if c.DisplayName != nil {
		p.DisplayName = *c.DisplayName
	}
	if c.AvatarURL != nil {
		p.AvatarURL = *c.AvatarURL
	}
	b := s.store.NewBatch()
	b.PutProfile(s.localpart, p)
	if err := s.commit(b, nil); err != nil {
		return nil, err
	}
	if s.onProfile != nil {
		if h := s.onProfile.Load(); h != nil {
			(*h)(s.localpart, p.DisplayName, p.AvatarURL)
		}
	}
	return p, nil
}

// EditAccountData is a read-modify-write of one account-data entry on the
// actor, so that concurrent edits (tags) never lose each other. Edit gets
// the current content (nil when absent) and returns the new content.
type EditAccountData struct {
	RoomID, Type string
	Edit         func(old json.RawMessage) (json.RawMessage, error)
}

func (c EditAccountData) apply(s *state) (any, error) {
	var old json.RawMessage
	d, err := s.store.AccountData(s.localpart, c.RoomID, c.Type)
	if err == nil {
		old = d.Content
	} else if !errors.Is(err, persistence.ErrNotFound) {
		return nil, err
	}
	content, err := c.Edit(old)
	if err != nil {
		return nil, err
	}
	return SetAccountData{RoomID: c.RoomID, Type: c.Type, Content: content}.apply(s)
}
