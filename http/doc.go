// Package http is Axon's HTTP edge on fasthttp: the router set-up (no
// trailing-slash or fixed-path redirects, every path parameter unescaped,
// 404/405 as M_UNRECOGNIZED, CORS and OPTIONS on every path, panics turned
// into 500 M_UNKNOWN), per-route body limits, token-bucket rate limiting,
// access-token extraction and the one table of Matrix errors (errors.go).
//
// Handlers live in subpackages (http/client, later federation, media and
// admin). They copy what they need out of the *fasthttp.RequestCtx and never
// keep it, or any slice of it, after they return. Go errors from the rest of
// Axon become Matrix errors here and nowhere else.
//
// It must not import Pebble or protoactor; handler subpackages reach storage
// only through persistence and actors/... .
package http
