// Package filter parses and applies the client-server API's event filters
// (spec: client-server-api "Filtering"; data/api/client-server/filter.yaml).
//
// It owns the Filter types, their validation and a pure event matcher that
// /sync and /messages use. It imports only the standard library: no
// actors, Pebble or fasthttp.
package filter
