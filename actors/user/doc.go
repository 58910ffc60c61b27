// Package user is the user actor: one actor per local user, the single
// writer of that user's account record, devices, access tokens and refresh
// tokens (key prefixes u, d, t, T, r, R of persistence/keys.go).
//
// Directory is the way in. It routes each command through a shard (chosen by
// a hash of the localpart) that spawns the user's actor on demand and
// passivates it after a quiet period; callers wait for the reply with a
// deadline. Access-token resolution is a read: a bounded cache in front of
// Pebble, invalidated by the user actor whenever it revokes tokens.
//
// The actor also keeps the user's parked /sync requests (sync_waiters.go):
// Wake delivers positions to live actors, the actor signals its waiters
// without blocking, and it does not passivate while any are parked.
//
// It imports protoactor's actor package, persistence and the standard library;
// never http/... . Passwords are hashed and checked by callers, outside the
// actor.
package user
