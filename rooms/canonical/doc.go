// Package canonical encodes JSON in the Matrix spec's canonical form
// (appendices.md "Canonical JSON"): no insignificant whitespace, object keys
// sorted by Unicode code point, strings escaped only where the grammar
// requires, integers without exponents or fractions and without -0.
//
// Two modes follow the room versions (rooms/fragments/v1-canonical-json.md and
// v6-canonical-json.md): Canonicalize is lenient, for room versions 1 to 5,
// whose history holds events the strict rules reject; CanonicalizeStrict is for
// room versions 6 and later and rejects floats, exponents, integers outside
// [-(2**53)+1, (2**53)-1] and duplicate keys. Both modes reject malformed JSON,
// invalid UTF-8 and lone UTF-16 surrogates in \u escapes.
//
// The encoders are a hand-written scanner; they never decode into
// map[string]any. Members and AppendObject let callers (hashing, signing,
// redaction) drop or add top-level keys without decoding the values.
//
// It imports only the standard library, and no other Axon package.
package canonical
