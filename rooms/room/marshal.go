package room

import (
	"encoding/json"

	"github.com/axonhs/axon/rooms/canonical"
)

// mustMarshal encodes a value built by this package (strings, integers,
// maps, slices) as canonical JSON. Such values always encode; a failure is
// a broken invariant.
func mustMarshal(v any) json.RawMessage {
	b, err := canonical.Marshal(v)
	if err != nil {
		panic("room: encoding a value built in this package: " + err.Error())
	}
	return b
}
