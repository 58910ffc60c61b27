package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/axonhs/axon/federation/fedtest"
	"github.com/axonhs/axon/rooms/auth"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// errFormatV1 reports a room version whose events reference others by
// (ID, hash) pairs, which the generator does not write.
var errFormatV1 = errors.New("join: room versions 1 and 2 are not generated")

// room is a room held by the fake resident server: every event signed by
// the resident, its current state, and the auth chain of that state.
type room struct {
	v      version.Spec
	id     string
	server string
	owner  string
	// state is the current state; chain is the auth chain of the state
	// (every event reachable through auth_events, the state events cited
	// by others included), in the order the events were built.
	state []*event.Event
	chain []*event.Event
	// byKey is the current state by slot, for make_join templates.
	byKey map[event.StateKey]*event.Event
	last  *event.Event
}

// generate builds, as peer, a room of version v with members member
// events in its state besides the owner's. Each member is invited by the
// owner, joins, then joins again with a display name, so that the state
// holds the last join and the auth chain the invite and the first join:
// about twice as many auth-chain events as members.
func generate(p *fedtest.Peer, v version.Spec, members int) (*room, error) {
	if v.Format == version.FormatV1 {
		return nil, fmt.Errorf("%w: %s", errFormatV1, v.ID)
	}
	r := &room{v: v, server: p.Name, owner: "@owner:" + p.Name, byKey: map[event.StateKey]*event.Event{}}
	var all []*event.Event
	ts := time.Now().Add(-time.Hour).UnixMilli()
	add := func(typ string, stateKey *string, sender, content string) error {
		needed, err := auth.EventsNeeded(v, typ, stateKey, sender, json.RawMessage(content))
		if err != nil {
			return err
		}
		proto := event.Proto{RoomID: r.id, Type: typ, StateKey: stateKey, Sender: sender,
			Content: json.RawMessage(content), OriginServerTS: ts + int64(len(all)), Depth: 1}
		for _, k := range needed {
			if ev, ok := r.byKey[k]; ok {
				proto.AuthEvents = append(proto.AuthEvents, ev.ID)
			}
		}
		if r.last != nil {
			proto.PrevEvents, proto.Depth = []string{r.last.ID}, r.last.Depth+1
		}
		ev, err := p.BuildEvent(v, proto)
		if err != nil {
			return fmt.Errorf("building %s of %s: %w", typ, sender, err)
		}
		if typ == event.TypeCreate {
			r.id = ev.RoomID
		}
		if stateKey != nil {
			r.byKey[ev.Key()] = ev
		}
		r.last = ev
		all = append(all, ev)
		return nil
	}
	empty, owner := "", r.owner
	create := fmt.Sprintf(`{"room_version":%q}`, v.ID)
	if v.CreatorInContent {
		create = fmt.Sprintf(`{"room_version":%q,"creator":%q}`, v.ID, owner)
	}
	if v.RoomIDFromCreateEvent {
		r.id = "" // the create event's hash names the room
	} else {
		r.id = "!bench:" + p.Name
	}
	users := fmt.Sprintf(`{%q:100}`, owner)
	if v.PrivilegedCreators {
		users = `{}` // the creator's power is not in the power levels
	}
	steps := []struct {
		typ      string
		stateKey *string
		content  string
	}{
		{event.TypeCreate, &empty, create},
		{event.TypeMember, &owner, `{"membership":"join"}`},
		{event.TypePowerLevels, &empty, `{"users":` + users + `,"users_default":0,"invite":0}`},
		{event.TypeJoinRules, &empty, `{"join_rule":"public"}`},
		{event.TypeHistoryVisibility, &empty, `{"history_visibility":"shared"}`},
	}
	for _, s := range steps {
		if err := add(s.typ, s.stateKey, owner, s.content); err != nil {
			return nil, err
		}
	}
	for i := range members {
		u := fmt.Sprintf("@m%d:%s", i, p.Name)
		if err := add(event.TypeMember, &u, owner, `{"membership":"invite"}`); err != nil {
			return nil, err
		}
		if err := add(event.TypeMember, &u, u, `{"membership":"join"}`); err != nil {
			return nil, err
		}
		if err := add(event.TypeMember, &u, u, fmt.Sprintf(`{"membership":"join","displayname":"Member %d"}`, i)); err != nil {
			return nil, err
		}
	}
	for _, ev := range all {
		if ev.IsState() && r.byKey[ev.Key()] == ev {
			r.state = append(r.state, ev)
		}
	}
	r.chain = authChain(all, r.state)
	return r, nil
}

// authChain is every event reachable from the auth_events of from, in the
// order of all.
func authChain(all, from []*event.Event) []*event.Event {
	byID := make(map[string]*event.Event, len(all))
	for _, ev := range all {
		byID[ev.ID] = ev
	}
	in := map[string]bool{}
	var walk []string
	for _, ev := range from {
		walk = append(walk, ev.AuthEvents...)
	}
	for len(walk) > 0 {
		id := walk[len(walk)-1]
		walk = walk[:len(walk)-1]
		if in[id] {
			continue
		}
		in[id] = true
		walk = append(walk, byID[id].AuthEvents...)
	}
	var out []*event.Event
	for _, ev := range all {
		if in[ev.ID] {
			out = append(out, ev)
		}
	}
	return out
}
