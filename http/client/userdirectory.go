package client

import (
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/user"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/persistence"
)

const (
	defaultDirectoryLimit = 10
	maxDirectoryLimit     = 100
)

// searchUsers is POST /user_directory/search. Spec (user_directory.yaml):
// the results are users who share a room with the requester or are joined
// to a public room (here: a room published in the room directory), which
// is Synapse's default `search_all_users: false`. Only local users are
// searched; remote members come with federation. Every word of the search
// term must start a word of the user's localpart or display name
// (persistence.DirectoryWords); the candidates come from the directory
// index, not a walk over every account.
func (a *API) searchUsers(ctx *fasthttp.RequestCtx, s user.Session) error {
	var req struct {
		SearchTerm *string `json:"search_term"`
		Limit      *int    `json:"limit"`
	}
	if err := axhttp.DecodeJSON(ctx, &req); err != nil {
		return err
	}
	if req.SearchTerm == nil {
		return axhttp.MissingParam("search_term")
	}
	limit := defaultDirectoryLimit
	if req.Limit != nil {
		if *req.Limit < 0 {
			return axhttp.Errorf(axhttp.CodeInvalidParam, "limit must not be negative")
		}
		limit = min(*req.Limit, maxDirectoryLimit)
	}
	visible, err := a.directoryVisibility(s.Localpart)
	if err != nil {
		return err
	}
	matches, limited, err := a.cfg.Store.SearchDirectory(directoryQuery(*req.SearchTerm), limit, visible)
	if err != nil {
		return err
	}
	results := make([]map[string]any, 0, len(matches))
	for _, m := range matches {
		r := map[string]any{"user_id": a.userID(m.Localpart)}
		if m.DisplayName != "" {
			r["display_name"] = m.DisplayName
		}
		if m.AvatarURL != "" {
			r["avatar_url"] = m.AvatarURL
		}
		results = append(results, r)
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]any{"results": results, "limited": limited})
	return nil
}

// directoryQuery turns a search term into the words to look up. A term
// written as a user ID ("@alice:example.org") searches by its localpart:
// the server name is not a word any local user is indexed under.
func directoryQuery(term string) []string {
	term = strings.TrimSpace(term)
	if rest, ok := strings.CutPrefix(term, "@"); ok {
		term, _, _ = strings.Cut(rest, ":")
	}
	return persistence.DirectoryWords(term)
}

// directoryVisibility returns whether a local user may appear in the
// requester's directory results: the requester, anyone joined to a room
// the requester is joined to, and anyone joined to a published room.
func (a *API) directoryVisibility(requester string) (func(lp string) (bool, error), error) {
	mine, err := a.cfg.Store.UserRooms(a.userID(requester), "join")
	if err != nil {
		return nil, err
	}
	public, err := a.cfg.Store.PublishedRooms()
	if err != nil {
		return nil, err
	}
	rooms := make(map[string]bool, len(mine)+len(public))
	for _, m := range mine {
		rooms[m.RoomID] = true
	}
	for _, r := range public {
		rooms[r] = true
	}
	return func(lp string) (bool, error) {
		if lp == requester {
			return true, nil
		}
		theirs, err := a.cfg.Store.UserRooms(a.userID(lp), "join")
		if err != nil {
			return false, err
		}
		for _, m := range theirs {
			if rooms[m.RoomID] {
				return true, nil
			}
		}
		return false, nil
	}, nil
}
