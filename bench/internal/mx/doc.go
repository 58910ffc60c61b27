// Package mx is the small Matrix client-server API client the bench
// programs share: one fasthttp connection pool per Client, Matrix errors
// decoded into *Error (errcode, retry_after_ms), registration through
// User-Interactive Auth (m.login.dummy) or shared-secret registration, login,
// rooms, sends and /sync.
//
// It speaks nothing but the spec's HTTP API, so it works against any
// homeserver. It must not import Axon's packages: the programs built on it
// measure a server from the outside.
package mx
