package auth

import (
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// RedactionApplies says whether an accepted m.room.redaction should take
// effect on target, the event it redacts, given the room state at the
// redaction (fragment v3-handling-redactions): the redaction's sender is at
// the redact level, or is on the same server as target's sender. The auth
// rules of v3 and later do not look at the redact level at all; in v1 and
// v2 the auth rule compares event-ID servers instead, and this check is the
// stricter application test for those versions as well.
func RedactionApplies(v version.Spec, state State, redaction, target *event.Event) bool {
	if sameDomainID(redaction.Sender, target.Sender) {
		return true
	}
	create := state.Get(keyCreate)
	pl := loadPowerLevels(v, state.Get(keyPowerLevels), create)
	return userPower(v, creators(v, create), pl, redaction.Sender).atLeast(pl.Redact)
}
