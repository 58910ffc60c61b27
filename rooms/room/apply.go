package room

import (
	"encoding/json"
	"slices"

	"github.com/axonhs/axon/rooms/event"
)

// membershipOf returns content.membership of a member event, "" when it is
// absent or not a string.
func membershipOf(ev *event.Event) string {
	var c struct {
		Membership string `json:"membership"`
	}
	if json.Unmarshal(ev.Content, &c) != nil {
		return ""
	}
	return c.Membership
}

// setState puts a state event into its slot of the current state and keeps
// the membership views in step. It returns the slot's change and, for a
// member event, the membership change (nil when the membership stayed the
// same, such as a display name change).
func (r *Room) setState(ev *event.Event) (StateChange, *MembershipChange) {
	k := ev.Key()
	old := r.state[k]
	r.state[k] = ev
	ch := StateChange{Key: k, New: ev.ID}
	if old != nil {
		ch.Old = old.ID
	}
	if ev.Type != event.TypeMember {
		return ch, nil
	}
	was := r.Membership(k.StateKey)
	now := membershipOf(ev)
	if now == "" {
		now = event.MembershipLeave
	}
	r.setMembership(k.StateKey, was, now)
	if was == now {
		return ch, nil
	}
	return ch, &MembershipChange{UserID: k.StateKey, Old: was, New: now}
}

// unsetState empties slot k, which state resolution does when the only
// fork that filled it loses (an event of one side rejected in the
// iterative auth checks), and describes the change; an emptied member slot
// is no membership at all.
func (r *Room) unsetState(k event.StateKey) (StateChange, *MembershipChange) {
	ch := StateChange{Key: k}
	if old := r.state[k]; old != nil {
		ch.Old = old.ID
	}
	delete(r.state, k)
	if k.Type != event.TypeMember {
		return ch, nil
	}
	was := r.Membership(k.StateKey)
	r.setMembership(k.StateKey, was, event.MembershipLeave)
	if was == event.MembershipLeave {
		return ch, nil
	}
	return ch, &MembershipChange{UserID: k.StateKey, Old: was, New: event.MembershipLeave}
}

// setMembership moves userID from membership was to now in the views.
func (r *Room) setMembership(userID, was, now string) {
	if now == event.MembershipLeave {
		delete(r.members, userID)
	} else {
		r.members[userID] = now
	}
	if was == now || (was != event.MembershipJoin && now != event.MembershipJoin) {
		return
	}
	srv := serverOf(userID)
	if srv == "" {
		return
	}
	if now == event.MembershipJoin {
		r.servers[srv]++
		if r.servers[srv] == 1 {
			r.others = nil
		}
		return
	}
	r.servers[srv]--
	if r.servers[srv] <= 0 {
		delete(r.servers, srv)
		r.others = nil
	}
}

// otherServers returns the servers in the room other than ours, sorted. The
// slice is shared: callers must not modify it.
func (r *Room) otherServers() []string {
	if r.others == nil {
		r.others = make([]string, 0, len(r.servers))
		for s := range r.servers {
			if s != r.signer.ServerName {
				r.others = append(r.others, s)
			}
		}
		slices.Sort(r.others)
	}
	return r.others
}

// advance makes ev a forward extremity in place of the prev_events it names
// (server-server-api "Room State": the extremities are the events with no
// successors).
func (r *Room) advance(ev *event.Event) {
	kept := r.extremities[:0]
	for _, x := range r.extremities {
		if !slices.Contains(ev.PrevEvents, x.ID) {
			kept = append(kept, x)
		}
	}
	r.extremities = append(kept, ev)
	if ev.Depth > r.maxDepth {
		r.maxDepth = ev.Depth
	}
}

// localEffects applies a locally built, authorised event and describes it.
func (r *Room) localEffects(ev *event.Event) *Effects {
	before := r.otherServers()
	fx := &Effects{Event: ev, Redacts: ev.Redacts, Relation: relationOf(ev.Content)}
	if ev.IsState() {
		ch, mc := r.setState(ev)
		fx.StateDelta = []StateChange{ch}
		if mc != nil {
			fx.Memberships = []MembershipChange{*mc}
		}
	}
	r.advance(ev)
	r.keepForkStates(ev, true)
	fx.Extremities = r.Extremities()
	fx.Destinations = r.destinations(before, ev)
	return fx
}

// destinations is the union of the servers in the room before the event,
// after it, and the target's server of a membership event, without ours.
func (r *Room) destinations(before []string, ev *event.Event) []string {
	after := r.otherServers()
	var target string
	if ev.Type == event.TypeMember && ev.StateKey != nil {
		if s := serverOf(*ev.StateKey); s != r.signer.ServerName {
			target = s
		}
	}
	if target == "" && sameSlice(before, after) {
		return slices.Clone(after)
	}
	out := make([]string, 0, len(before)+len(after)+1)
	out = append(out, before...)
	out = append(out, after...)
	if target != "" {
		out = append(out, target)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// sameSlice reports whether a and b are the same slice (the server list was
// not rebuilt in between).
func sameSlice(a, b []string) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}
