// Package signing holds a homeserver's ed25519 keys and signs and verifies
// JSON the Matrix way: unpadded base64 (appendices.md "Unpadded Base64"),
// key IDs, the signing.key file Synapse writes, "Signing JSON" and "Checking
// for a Signature" (appendices.md), and the content hash of an event
// (server-server-api.md "Calculating the content hash for an event").
//
// Redaction, and so the reference hash and event signing proper, belong to
// rooms/event, which calls SignJSON, VerifyJSON and SigningBytes on redacted
// events.
//
// It imports only the standard library, golang.org/x/crypto and
// rooms/canonical.
package signing
