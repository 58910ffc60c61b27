// Package ids parses and validates Matrix identifiers: server names, user
// IDs (strict and historical), room IDs (with and without a server part),
// event IDs and room aliases, following appendices.md "Identifier Grammar"
// and the per-version formats of content/rooms/.
//
// Identifiers are string types; a value obtained from a parser is valid,
// while a conversion such as UserID(s) is not checked. Methods that split an
// identifier (Localpart, Server) assume a valid one.
//
// It imports only the standard library, and no other Axon package.
package ids
