package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/axonhs/axon/rooms/auth"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/signing"
	"github.com/axonhs/axon/rooms/version"
)

var (
	// ErrBadTemplate reports a make_join, make_leave or make_knock answer
	// that is not a usable event template.
	ErrBadTemplate = errors.New("federation: invalid membership template")
	// ErrBadJoinState reports a send_join answer whose state or auth
	// chain does not verify: a forged, mis-signed, truncated or
	// inconsistent answer. Nothing of it is kept.
	ErrBadJoinState = errors.New("federation: send_join state does not verify")
	// ErrUnsupportedVersion reports a room of a version this server does
	// not implement.
	ErrUnsupportedVersion = errors.New("federation: room version not supported")
)

// Handshake performs this server's side of the membership handshakes
// (server-server-api "Joining Rooms", "Knocking upon a room", "Leaving
// Rooms (Rejecting Invites)", "Inviting to a room"): it asks a resident
// server for a template, builds and signs the event as this server, sends
// it back and checks what comes back.
type Handshake struct {
	Client     *Client
	Keyring    *Keyring
	ServerName string
	Key        signing.KeyPair
	// Now is the clock (default time.Now).
	Now func() time.Time
	// MaxJoinAnswer bounds a send_join answer in bytes (default
	// DefaultMaxJoinAnswer).
	MaxJoinAnswer int
	// OnSendJoin, if set, is called once per SendJoin with its timings.
	OnSendJoin func(JoinTimings)
}

func (h *Handshake) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// template is a make_* answer.
type template struct {
	RoomVersion string          `json:"room_version"`
	Event       json.RawMessage `json:"event"`
}

// Make asks server for the template of userID's membership ("join",
// "leave" or "knock") in roomID, offering every room version this server
// supports, and builds and signs the event; extra is merged into the
// template's content (displayname, avatar_url, reason).
func (h *Handshake) Make(ctx context.Context, server, roomID, userID, membership string, extra map[string]any) (*event.Event, error) {
	uri := "/_matrix/federation/v1/make_" + membership + "/" + url.PathEscape(roomID) + "/" + url.PathEscape(userID)
	if membership != event.MembershipLeave {
		q := url.Values{}
		for _, v := range version.All() {
			q.Add("ver", string(v.ID))
		}
		uri += "?" + q.Encode()
	}
	var t template
	if err := h.Client.Get(ctx, server, uri, &t); err != nil {
		return nil, err
	}
	if t.RoomVersion == "" {
		t.RoomVersion = "1" // make_leave before v1.? omits it; version 1 is the default
	}
	v, err := version.Lookup(version.ID(t.RoomVersion))
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrUnsupportedVersion, t.RoomVersion)
	}
	return h.build(t.Event, v, roomID, userID, membership, extra)
}

// protoTemplate is the part of a template this server keeps; it chooses
// the rest (origin_server_ts, hashes, signatures) itself.
type protoTemplate struct {
	RoomID     string            `json:"room_id"`
	Type       string            `json:"type"`
	StateKey   *string           `json:"state_key"`
	Sender     string            `json:"sender"`
	Content    map[string]any    `json:"content"`
	PrevEvents []json.RawMessage `json:"prev_events"`
	AuthEvents []json.RawMessage `json:"auth_events"`
	Depth      int64             `json:"depth"`
}

func (h *Handshake) build(raw json.RawMessage, v version.Spec, roomID, userID, membership string, extra map[string]any) (*event.Event, error) {
	var t protoTemplate
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadTemplate, err)
	}
	if t.RoomID != roomID || t.Type != event.TypeMember || t.StateKey == nil || *t.StateKey != userID || t.Sender != userID {
		return nil, fmt.Errorf("%w: not a membership event of %s in %s", ErrBadTemplate, userID, roomID)
	}
	if t.Content == nil {
		t.Content = map[string]any{}
	}
	if m, _ := t.Content["membership"].(string); m != membership {
		return nil, fmt.Errorf("%w: membership %v, want %s", ErrBadTemplate, t.Content["membership"], membership)
	}
	for k, val := range extra {
		t.Content[k] = val
	}
	content, err := json.Marshal(t.Content)
	if err != nil {
		return nil, err
	}
	p := event.Proto{
		RoomID: roomID, Type: event.TypeMember, StateKey: t.StateKey, Sender: userID, Content: content,
		Depth: t.Depth, OriginServerTS: h.now().UnixMilli(),
	}
	if v.Format == version.FormatV1 {
		p.Origin = h.ServerName
		p.ReferenceHashes = map[string][32]byte{}
	}
	if p.PrevEvents, err = refIDs(t.PrevEvents, p.ReferenceHashes); err != nil {
		return nil, err
	}
	if p.AuthEvents, err = refIDs(t.AuthEvents, p.ReferenceHashes); err != nil {
		return nil, err
	}
	ev, err := p.Build(v, h.ServerName, h.Key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadTemplate, err)
	}
	return ev, nil
}

// refIDs reads prev_events or auth_events: plain IDs, or (format v1)
// [ID, {"sha256": hash}] pairs whose hashes go into hashes.
func refIDs(refs []json.RawMessage, hashes map[string][32]byte) ([]string, error) {
	out := make([]string, 0, len(refs))
	for _, r := range refs {
		var id string
		if json.Unmarshal(r, &id) == nil {
			out = append(out, id)
			continue
		}
		var pair []json.RawMessage
		if json.Unmarshal(r, &pair) != nil || len(pair) != 2 || json.Unmarshal(pair[0], &id) != nil {
			return nil, fmt.Errorf("%w: bad event reference %s", ErrBadTemplate, r)
		}
		var hs struct {
			SHA256 string `json:"sha256"`
		}
		if err := json.Unmarshal(pair[1], &hs); err != nil {
			return nil, fmt.Errorf("%w: bad event reference %s", ErrBadTemplate, r)
		}
		b, err := signing.DecodeBase64(hs.SHA256)
		if err != nil || len(b) != 32 || hashes == nil {
			return nil, fmt.Errorf("%w: bad reference hash in %s", ErrBadTemplate, r)
		}
		hashes[id] = [32]byte(b)
		out = append(out, id)
	}
	return out, nil
}

// JoinResult is a verified send_join answer.
type JoinResult struct {
	// Join is the join event as the room will hold it: the resident
	// server's countersigned copy on a restricted join, else ours.
	Join      *event.Event
	State     []*event.Event
	AuthChain []*event.Event
	// Servers are the servers with a joined member in the state.
	Servers []string
}

// SendJoin sends the signed join to server (PUT /v2/send_join, full state:
// this server does not keep partial state) and verifies the answer with
// VerifyJoin. The answer may be as large as MaxJoinAnswer. OnSendJoin, if
// set, is told how long the fetch and the verification took.
func (h *Handshake) SendJoin(ctx context.Context, server string, join *event.Event) (*JoinResult, error) {
	t := JoinTimings{Server: server, RoomID: join.RoomID, Started: time.Now()}
	res, err := h.sendJoin(ctx, server, join, &t)
	t.Err = err
	if h.OnSendJoin != nil {
		h.OnSendJoin(t)
	}
	return res, err
}

func (h *Handshake) sendJoin(ctx context.Context, server string, join *event.Event, t *JoinTimings) (*JoinResult, error) {
	uri := "/_matrix/federation/v2/send_join/" + url.PathEscape(join.RoomID) + "/" + url.PathEscape(join.ID)
	limit := h.MaxJoinAnswer
	if limit <= 0 {
		limit = DefaultMaxJoinAnswer
	}
	status, body, err := h.Client.putLarge(ctx, server, uri, join.Raw, limit)
	if err != nil {
		return nil, err
	}
	if err := remoteError(status, body); err != nil {
		return nil, err
	}
	t.Bytes = len(body)
	ans, err := parseJoinAnswer(body)
	if err != nil {
		return nil, fmt.Errorf("%w: from %s: %w", ErrRemote, server, err)
	}
	t.Fetch = time.Since(t.Started)
	t.StateEvents, t.AuthChainEvents = len(ans.State), len(ans.AuthChain)
	if ans.MembersOmitted {
		return nil, fmt.Errorf("%w: members omitted though full state was asked for", ErrBadJoinState)
	}
	verifying := time.Now()
	res, err := h.VerifyJoin(ctx, join, ans.Event, ans.State, ans.AuthChain)
	t.Verify = time.Since(verifying)
	return res, err
}

// VerifyJoin checks a send_join answer for join (server-server-api
// "Joining Rooms": the joining server must check the returned state and
// auth chain as it would PDUs): every event's format, hashes and
// signatures through the keyring, on all processors at once; every event
// of the room and the version of its create event; every auth event of
// every state and auth-chain event present, and each of those events
// allowed by its auth events; the state containing the room's create
// event; and the join allowed by the state. Events whose content hash
// does not match are kept redacted, as for PDUs. countersigned is the
// resident server's copy of the join, if it sent one.
func (h *Handshake) VerifyJoin(ctx context.Context, join *event.Event, countersigned json.RawMessage, state, chain []json.RawMessage) (*JoinResult, error) {
	v := join.Version
	all := make([][]byte, 0, len(state)+len(chain))
	for _, r := range state {
		all = append(all, r)
	}
	for _, r := range chain {
		all = append(all, r)
	}
	// An event in both the state and the auth chain is checked once.
	uniq, of := dedupeRaw(all)
	checked, err := h.checkEvents(ctx, uniq, v)
	if err != nil {
		return nil, err
	}
	evs := make([]*event.Event, len(all))
	for i := range all {
		evs[i] = checked[of[i]]
	}
	byID := make(map[string]*event.Event, len(evs))
	for _, ev := range evs {
		if ev.RoomID != join.RoomID {
			return nil, fmt.Errorf("%w: event %s is of room %s", ErrBadJoinState, ev.ID, ev.RoomID)
		}
		byID[ev.ID] = ev
	}
	var create *event.Event
	for _, ev := range evs {
		if ev.Type == event.TypeCreate && ev.StateKey != nil && *ev.StateKey == "" {
			create = ev
		}
	}
	if create == nil {
		return nil, fmt.Errorf("%w: no m.room.create event", ErrBadJoinState)
	}
	res := &JoinResult{Join: join}
	cur := auth.StateMap{}
	seen := make(map[string]bool, len(evs))
	distinct := make([]*event.Event, 0, len(byID))
	for i, ev := range evs {
		if seen[ev.ID] {
			continue
		}
		seen[ev.ID] = true
		distinct = append(distinct, ev)
		if i < len(state) {
			if !ev.IsState() {
				return nil, fmt.Errorf("%w: %s in state is not a state event", ErrBadJoinState, ev.ID)
			}
			res.State = append(res.State, ev)
			cur[ev.Key()] = ev
		} else {
			res.AuthChain = append(res.AuthChain, ev)
		}
	}
	if err := h.checkAuthAll(distinct, create, byID); err != nil {
		return nil, err
	}
	if c := cur[event.StateKey{Type: event.TypeCreate}]; c == nil || c.ID != create.ID {
		return nil, fmt.Errorf("%w: no m.room.create in the state", ErrBadJoinState)
	}
	var cc struct {
		RoomVersion string `json:"room_version"`
	}
	_ = json.Unmarshal(create.Content, &cc)
	if cc.RoomVersion == "" {
		cc.RoomVersion = "1"
	}
	if cc.RoomVersion != string(v.ID) {
		return nil, fmt.Errorf("%w: create event says room version %s, template %s", ErrBadJoinState, cc.RoomVersion, v.ID)
	}
	if len(countersigned) > 0 {
		cp, err := CheckPDU(ctx, h.Keyring, countersigned, v)
		if err != nil || cp.Redacted || cp.Event.ID != join.ID {
			return nil, fmt.Errorf("%w: the resident server's copy of the join does not verify: %v", ErrBadJoinState, err)
		}
		res.Join = cp.Event
	}
	if err := auth.Allowed(res.Join, cur); err != nil {
		return nil, fmt.Errorf("%w: the join is not allowed by the returned state: %v", ErrBadJoinState, err)
	}
	servers := map[string]bool{}
	for k, ev := range cur {
		if k.Type == event.TypeMember && membershipOf(ev) == event.MembershipJoin {
			servers[serverOf(k.StateKey)] = true
		}
	}
	delete(servers, h.ServerName)
	for s := range servers {
		res.Servers = append(res.Servers, s)
	}
	return res, nil
}

// checkAuthOf checks ev against its auth events, all of which must be in
// the answer (an auth chain that lacks one is truncated): the auth_events
// list itself, then the auth rules with the auth events (and the room's
// create event, which room version 12 does not cite) as the state
// (server-server-api "Checks performed on receipt of a PDU", check 4).
func checkAuthOf(ev, create *event.Event, byID map[string]*event.Event) error {
	authEvs := make([]*event.Event, 0, len(ev.AuthEvents))
	for _, id := range ev.AuthEvents {
		a, ok := byID[id]
		if !ok {
			return fmt.Errorf("%w: auth event %s of %s is missing", ErrBadJoinState, id, ev.ID)
		}
		authEvs = append(authEvs, a)
	}
	if err := auth.CheckAuthEvents(ev, authEvs); err != nil {
		return fmt.Errorf("%w: %s fails auth against its auth events: %v", ErrBadJoinState, ev.ID, err)
	}
	if ev.ID == create.ID {
		return nil
	}
	st := auth.StateMap{create.Key(): create}
	for _, a := range authEvs {
		if a.IsState() {
			st[a.Key()] = a
		}
	}
	if err := auth.Allowed(ev, st); err != nil {
		return fmt.Errorf("%w: %s is not allowed by its auth events: %v", ErrBadJoinState, ev.ID, err)
	}
	return nil
}

func membershipOf(ev *event.Event) string {
	var c struct {
		Membership string `json:"membership"`
	}
	_ = json.Unmarshal(ev.Content, &c)
	return c.Membership
}

func serverOf(userID string) string {
	for i := 0; i < len(userID); i++ {
		if userID[i] == ':' {
			return userID[i+1:]
		}
	}
	return ""
}
