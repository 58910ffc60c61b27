// Package room is the room actor: one actor per room around the pure room
// core (rooms/room), the single writer of that room's events, indexes,
// state groups, current state, extremities, memberships, relations and
// transaction records (key prefixes e, E, o, k, y, M, c, G, x, X, b, l and
// B of persistence/keys.go).
//
// Directory is the way in. Each room is routed through a shard (a hash of the
// room ID) that spawns the room's actor on demand and passivates it after a
// quiet period, so only active rooms hold memory; the state reloads from
// Pebble on the next command. A per-room admission limit refuses work with
// ErrBusy instead of queueing without bound, and callers wait for replies
// with a deadline.
//
// The actor coalesces: proposals queued in its mailbox are applied to the
// core one by one and flushed as ONE persistence.RoomBatch committed with
// Sync; replies go out only after the commit. A failed commit or a panic
// discards the in-memory room, fails the waiting requests and reloads from
// Pebble.
//
// Rooms of other servers enter through Adopt (a verified send_join answer
// becomes the room's stored state, its state and auth chain held as
// outliers so that the timeline starts at the join, adopt.go); events
// fetched to check a PDU (auth events, the state at a missed prev_event)
// are held as outliers with StoreOutliers (outlier.go), and Step moves an
// outlier into the timeline when it arrives as a PDU; invites, knocks and
// rejections of rooms not held are recorded alone with RecordMembership
// (remote.go); StepForward is Step for a membership event handed over by
// send_join/send_leave/send_knock, which the actor sends on to the other
// servers in the room (forward.go).
//
// History from before this server joined comes in through a Backfiller
// (backfill_run.go): one /backfill in flight per room, the servers in the
// room asked in turn, the answer checked outside the actor; the actor then
// places the events before the ones they precede, moves the room's
// backward extremities (key prefix B) back, and commits them without rows
// in the room's stream, so /messages serves them and /sync never does
// (backfill.go, backfill_place.go).
//
// It imports protoactor's actor package, persistence, rooms/... and the
// standard library; never http/... .
package room
