package client

import "github.com/axonhs/axon/persistence"

// EphemeralHook carries this server's ephemeral changes to federation:
// the homeserver turns them into EDUs for the server actors
// (server-server-api "Typing Notifications", "Receipts", "Presence").
// Its methods are called from request handlers and must not block.
type EphemeralHook interface {
	Typing(roomID, userID string, typing bool)
	Receipt(roomID, receiptType, userID, eventID, threadID string, ts int64)
	Presence(p persistence.Presence)
}
