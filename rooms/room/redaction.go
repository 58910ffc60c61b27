package room

import (
	"errors"
	"fmt"

	"github.com/axonhs/axon/rooms/auth"
	"github.com/axonhs/axon/rooms/canonical"
	"github.com/axonhs/axon/rooms/event"
)

// errNotRedaction is wrapped by ApplyRedaction when its second argument is
// not an m.room.redaction of the target.
var errNotRedaction = errors.New("not a redaction of this event")

// Redact returns the proposal of an m.room.redaction of eventID by sender,
// with an optional reason (client-server-api "Redactions", PUT
// /rooms/{roomId}/redact/{eventId}/{txnId}). Pass the target as
// Proposal.RedactTarget when it is at hand so Propose checks the sender may
// redact it.
func Redact(sender, eventID, reason string) Proposal {
	p := Proposal{Type: event.TypeRedaction, Sender: sender, Redacts: eventID}
	if reason != "" {
		p.Content = mustMarshal(map[string]any{"reason": reason})
	}
	return p
}

// checkRedaction checks a local redaction against the event it redacts:
// the target must be in this room, and redacting another user's event needs
// the redact power level (m.room.power_levels "redact": "The level required
// to redact an event sent by another user"). From room version 3 the auth
// rules accept every redaction and leave this check to the server that
// applies it (rooms/fragments/v3-handling-redactions.md).
func (r *Room) checkRedaction(ev, target *event.Event) error {
	if target.ID != ev.Redacts {
		return fmt.Errorf("%w: redaction target %s is not %s", ErrInvalidParam, target.ID, ev.Redacts)
	}
	if target.RoomID != r.id {
		return fmt.Errorf("%w: %s is in %s", ErrWrongRoom, target.ID, target.RoomID)
	}
	if target.Sender == ev.Sender {
		return nil
	}
	pl, err := auth.PowerLevels(r.spec, r.state)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrForbidden, err)
	}
	level, creator := r.PowerLevel(ev.Sender)
	if !creator && level < pl.Redact {
		return fmt.Errorf("%w: redacting another user's event needs power level %d, %s has %d",
			ErrForbidden, pl.Redact, ev.Sender, level)
	}
	return nil
}

// ApplyRedaction returns what to store, and serve, in place of target once
// redaction has redacted it: the target stripped by its room version's
// redaction algorithm, with the redaction event under
// unsigned.redacted_because (client-server-api "Redactions": "Servers should
// include a copy of the m.room.redaction event under unsigned as
// redacted_because"). The result is canonical JSON.
func ApplyRedaction(target *event.Event, redaction *event.Event) ([]byte, error) {
	if redaction.Type != event.TypeRedaction || redaction.Redacts != target.ID {
		return nil, fmt.Errorf("%w: %w", ErrInvalidParam, errNotRedaction)
	}
	if redaction.RoomID != target.RoomID {
		return nil, fmt.Errorf("%w: redaction in %s, target in %s", ErrWrongRoom, redaction.RoomID, target.RoomID)
	}
	stripped, err := event.Redact(target.Raw, target.Version)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadJSON, err)
	}
	members, err := canonical.Members(stripped)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadJSON, err)
	}
	because, err := canonicalFor(target, redaction.Raw)
	if err != nil {
		return nil, err
	}
	unsigned := canonical.AppendObject(nil, []canonical.Member{{Key: "redacted_because", Value: because}})
	members = append(members, canonical.Member{Key: "unsigned", Value: unsigned})
	return canonical.AppendObject(make([]byte, 0, len(stripped)+len(unsigned)+16), members), nil
}

// canonicalFor puts raw into canonical form under the target's version.
func canonicalFor(target *event.Event, raw []byte) ([]byte, error) {
	var out []byte
	var err error
	if target.Version.StrictCanonicalJSON {
		out, err = canonical.CanonicalizeStrict(raw)
	} else {
		out, err = canonical.Canonicalize(raw)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: redaction event: %v", ErrBadJSON, err)
	}
	return out, nil
}
