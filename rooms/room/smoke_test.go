package room

import (
	"testing"

	"github.com/axonhs/axon/rooms/version"
)

func TestSmoke(t *testing.T) {
	for _, v := range []string{"1", "11", "12"} {
		k := newKit(t, version.ID(v), PresetPublicChat, bob)
		fx := k.propose(message(bob, "hi"))
		t.Log(v, types(k.created), fx.Event.ID, fx.Extremities, k.room.Joined())
	}
}
