package room

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/axonhs/axon/rooms/event"
	core "github.com/axonhs/axon/rooms/room"
	"github.com/axonhs/axon/rooms/version"
)

// BenchmarkStoreOutlierWithState stores one missed prev_event as an
// outlier with the state before it (what a PDU after a gap costs the room
// actor: checking that every state event is held, a snapshot state group,
// one commit), for states of 100 and 1,000 members.
func BenchmarkStoreOutlierWithState(b *testing.B) {
	for _, members := range []int{100, 1000} {
		b.Run(fmt.Sprintf("members=%d", members), func(b *testing.B) {
			d, _, _ := newDir(b, vfs.NewMem(), Config{})
			r := newResident(b, version.ID("11"))
			for i := range members {
				u := fmt.Sprintf("@u%d:example.org", i)
				r.propose(core.Proposal{Type: event.TypeMember, StateKey: core.StateKeyOf(u), Sender: u, Content: json.RawMessage(`{"membership":"join"}`)})
			}
			join, _ := adoptFromResident(b, d, r)
			state := r.stateIDs()
			evs := make([]*event.Event, b.N)
			for i := range evs {
				evs[i] = r.say(bob, fmt.Sprintf("missed %d", i))
			}
			b.ResetTimer()
			for i := range b.N {
				if err := d.StoreOutliers(ctxT(b), join.RoomID, []Outlier{{Event: evs[i], StateBefore: state}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
