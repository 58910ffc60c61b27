package room

import (
	"fmt"
	"github.com/axonhs/axon/rooms/auth"
	"github.com/axonhs/axon/rooms/event"
)

// Propose builds, authorises and applies a local user's event (data path
// step 3 of DESIGN.md). It checks the proposal's shape, picks prev_events,
// depth and auth_events, builds and signs the event as this server, runs
// the authorisation rules against the current state, applies the event to
// the in-memory room and returns its Effects. now is the event's
// origin_server_ts in milliseconds.
//
// Errors wrap ErrInvalidParam, ErrBadJSON, ErrTooLarge, ErrNotLocal,
// ErrNotCreated, ErrWrongRoom or ErrForbidden (which also wraps the
// *auth.Error naming the refusing rule). On error the room is unchanged.
func (r *Room) Propose(p Proposal, now int64) (*Effects, error) {
	return r.propose(&p, now, ErrForbidden)
}

// propose is Propose with the sentinel an authorisation refusal wraps.
func (r *Room) propose(p *Proposal, now int64, refused error) (*Effects, error) {
	if r.state[keyCreate] == nil {
		return nil, ErrNotCreated
	}
	if serverOf(p.Sender) != r.signer.ServerName {
		return nil, fmt.Errorf("%w: %q", ErrNotLocal, p.Sender)
	}
	if err := checkShape(r.spec, p); err != nil {
		return nil, err
	}
	if err := r.checkMemberChange(p); err != nil {
		return nil, err
	}
	ev, err := r.build(p, now)
	if err != nil {
		return nil, err
	}
	if err := r.authorise(ev); err != nil {
		return nil, fmt.Errorf("%w: %w", refused, err)
	}
	if p.RedactTarget != nil {
		if err := r.checkRedaction(ev, p.RedactTarget); err != nil {
			return nil, err
		}
	}
	return r.localEffects(ev), nil
}

// authorise runs the authorisation rules on a local event against the
// current state. Local events are built from that state, so it is both the
// state before them and their auth events.
func (r *Room) authorise(ev *event.Event) error {
	return auth.Allowed(ev, r.state)
}
