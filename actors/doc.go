// Package actors holds Axon's protoactor-go actors and the actor system they
// run in. It is the only part of Axon that imports protoactor, and of
// protoactor only the actor and scheduler packages.
//
// # Who writes what
//
// Every durable key prefix of persistence/keys.go has exactly one kind of
// writer, so that no two goroutines race on the same rows:
//
//	u (accounts)              the user actor of that localpart (actors/user)
//	d (devices)               the user actor of that localpart
//	t, T (access tokens)      the user actor of the token's localpart
//	r, R (refresh tokens)     the user actor of the token's localpart
//	n (shared-secret nonces)  http/client, single-use under persistence's own lock
//	g (registration tokens)   http/client, counters under persistence's own lock
//	s (sequences)             persistence itself, under its own lock
//	e E o k y M c G x X b l   the room actor of that room (actors/room); a new
//	  (rooms)                 room's first batch is written by Directory.Create
//	                          before anyone knows its ID
//	e E o k y M c G x X b l   the room actor of that room (actors/room; the
//	                          global stream 'o' through persistence's watermark)
//	B (backfill bookkeeping)  the room actor of that room, with the backfilled
//	                          events it places (actors/room/backfill*.go)
//	a (account data)          the user actor of that localpart
//	K (E2EE keys)             the user actor of that localpart (one-time key
//	                          claims too, one at a time, so each key goes once),
//	                          except K|5 (remote users' cached device lists)
//	                          and K|6 (what was announced of local devices),
//	                          written by the homeserver's one http/e2ee service
//	                          under its cache lock and from its single publisher
//	v (to-device inboxes)     the user actor of the recipient
//	f (filters), p (profiles) the user actor of that localpart
//	C (device-list changes)   every user actor, appending through
//	                          persistence.CommitDeviceListChange, whose
//	                          positions come from a contiguous watermark;
//	                          http/e2ee appends remote users' changes the
//	                          same way (CommitRemoteDeviceListChanges)
//	O (federation outbox)     the room actor writes a destination's rows in
//	                          the event's batch; the destination's server
//	                          actor (actors/server) deletes them once sent
//	D (destination state)     the server actor of that destination
//	I (inbound transactions)  the inbound /send handler (http/federation)
//
// Prefixes added to persistence/keys.go later name their writer there and
// here.
//
// Reads (token resolution, device lists, account look-ups) go straight to
// Pebble and never queue behind a mailbox.
//
// # Rules
//
// Nothing blocks inside Receive: no network I/O, no Future.Result(), no
// bcrypt (callers hash and verify passwords before sending). Callers send a
// message carrying a buffered reply channel and wait on it with a deadline.
// Directory shards, keyed by a hash of the ID, spawn actors on demand and
// passivate idle ones; nobody outside a shard holds a user actor's PID.
//
// This package must not import http/... .
package actors
