// Package publicroom reads a published room's entry of the public room
// directory (definitions/public_rooms_chunk.yaml) from its current state,
// for the client and federation /publicRooms handlers alike.
//
// It reads storage only through persistence and must not import Pebble,
// protoactor or fasthttp.
package publicroom
