// Package auth implements the Matrix authorisation rules of room versions 1
// to 12 (spec: content/rooms/v1.md … v12.md, "Authorisation rules", and the
// fragments v1-auth-rules, v3-auth-rules and v8-auth-rules).
//
// The rules are split in two, as the spec's checks on receipt of a PDU are:
//
//   - CheckIndependent and CheckSigners need nothing but the event: sizes,
//     the m.room.create rules, and which servers must have signed.
//   - CheckAuthEvents checks an event's auth_events against the auth events
//     selection of content/server-server-api.md; Allowed runs the
//     state-dependent rules against a State (the auth events, the state
//     before the event, or the current state).
//
// Every refusal is an *Error naming the rule (version, section number as
// the version's list numbers it, and a short path such as "member/join").
//
// The package also owns the power-level model every other part of the room
// core uses: PowerLevels, UserPowerLevel, Creators, EventsNeeded, and
// RedactionApplies for the "Handling redactions" check.
//
// It imports only the standard library, rooms/event, rooms/version and
// rooms/canonical (for the signed block of third-party invites); it
// must not import actors, persistence, federation, http or any I/O library.
package auth
