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
// It must not import Pebble or protoactor.
package client
