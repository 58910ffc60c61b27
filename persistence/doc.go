// Package persistence is Axon's durable state: one Pebble store, the key
// schema (keys.go, the only place keys are built), typed records and
// accessors, and batches that commit several records atomically.
//
// Reads go straight to Pebble and return copies; writes go through a Batch so
// that, for example, a registration lands account, device and token together
// or not at all. Which actor may write which key prefix is stated in
// actors/doc.go; this package does not enforce it.
//
// It must not import actors/... or http/..., nor protoactor or fasthttp.
package persistence
