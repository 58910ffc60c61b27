// Package server is the server actor: one actor per remote server, the only
// sender of this server's transactions to it (server-server-api
// "Transactions") and the single writer of its destination state (key
// prefix 'D' of persistence/keys.go) and the deleter of its outbox rows
// ('O', which the room actors write in the same batch as the event).
//
// Directory is the way in. Destinations are routed through shards (a hash
// of the server name) that spawn an actor on demand and passivate it when
// it has nothing to send. An actor sends at most 50 PDUs and 100 EDUs per
// transaction, one transaction in flight, the same transaction ID on every
// retry (kept in Pebble with the rows it carries, so a restart resends the
// same transaction), with exponential backoff, jitter and a cap, reset when
// the destination contacts us. Typing, receipt and presence EDUs live only
// in memory, coalesced (the latest typing, receipt or presence per room and
// user wins) and bounded; under pressure they are shed, never the PDUs,
// which Pebble holds. m.direct_to_device EDUs are owed to their senders, so
// they are durable too: the to-device outbox ('V', written before the
// client is answered) holds them until a transaction carrying them is
// answered; they get at least half of a transaction's EDU slots while any
// wait, and are never shed.
//
// Receive never blocks: reading the outbox, building the body, recording
// the transaction and the network request run in a goroutine that posts the
// result back. The global bound on connections and requests in flight is
// the federation.Client's.
//
// It imports protoactor's actor package, persistence, federation,
// rooms/canonical and the standard library; never http/... .
package server
