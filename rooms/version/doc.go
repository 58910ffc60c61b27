// Package version is the room-version registry: for each of room versions 1
// to 12 it records which event format, event-ID scheme, redaction algorithm,
// authorisation rules and state-resolution algorithm apply, and the smaller
// switches (strict canonical JSON, integer power levels, knocking, restricted
// joins, privileged creators). Source: the spec's content/rooms/v1.md … v12.md.
//
// It imports nothing but the standard library.
package version
