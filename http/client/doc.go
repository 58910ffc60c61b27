// Package client serves the Matrix client-server API endpoints Axon has so
// far: versions, .well-known, capabilities, registration (with
// User-Interactive Authentication and registration tokens), Synapse's
// shared-secret registration, login, logout, whoami, password change,
// deactivation, devices and refresh tokens.
//
// Handlers read accounts and devices straight from persistence and send
// every state change to the user's actor through actors/user. Passwords are
// hashed and verified here, never inside an actor. Go errors become Matrix
// errors through errmap.go and the table in package http.
//
// The room read endpoints (rooms_read*.go: event, state, messages,
// context, members, joined rooms, relations, threads, timestamp_to_event),
// the alias and public room directories (directory*.go), upgrades and
// reports read rooms straight from Pebble snapshots, never through a room
// actor, and pass every event they serve through one history visibility
// filter (roomView.canSee over rooms/room.CanSee).
//
// GET /sync (sync*.go) builds each response from storage between the
// positions of a since token (sync_token.go) and the streams' current ends;
// a long-poll with nothing new parks a user.Waiter with the user's actor
// and is woken with positions only: by room commits (WakeCommitted, the room
// actors' commit hook), by the user's own commands, and by typing, receipts,
// presence and device-list changes of users who share a room (sync_wake.go).
// Typing lives in memory (typing.go); receipts and presence are
// persistence's streams.
//
// It must not import Pebble or protoactor.
package client
