// Package room is Axon's pure room core: the in-memory state of one room and
// the operations that change it, shaped like etcd raft's RawNode. Input goes
// in (a Proposal from a local user through Propose, a checked remote PDU
// through Step, a room creation through Create); what comes out is Effects:
// the event to store, the state delta, the new forward extremities, the
// membership changes, the servers to federate to, and the relation or
// redaction the event declares. The caller (the room actor) persists the
// Effects of one or more operations in a single batch and replies to clients
// only after that batch commits.
//
// Propose and Step apply their event to the in-memory Room before returning,
// so several proposals can be coalesced into one commit. The Room is
// therefore ahead of storage until the commit succeeds: if the commit fails,
// the caller must discard the Room and Load it again from storage.
//
// The package also holds the pure helpers the client API needs around a
// room: the membership proposals (Join, Leave, Invite, Kick, Ban, Unban,
// Knock), the redaction of a stored event (ApplyRedaction), the plan of a
// room upgrade (UpgradePlan) and history visibility (CanSee).
//
// Spec sources: content/client-server-api/_index.md ("Room creation",
// "Joining rooms", "Leaving rooms", "Redactions"), the modules
// history_visibility.md and room_upgrades.md,
// data/api/client-server/create_room.yaml, and content/server-server-api.md
// ("Auth events selection", "Checks performed on receipt of a PDU",
// "Soft failure", "Room State").
//
// It imports only the standard library and rooms/... (event, version, auth,
// stateres, canonical, signing, ids). It must not import actors, persistence,
// federation, http, Pebble, fasthttp, zap or protoactor, and it reads no clock
// and no randomness except the io.Reader given in its Signer.
package room
