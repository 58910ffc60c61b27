package room

import (
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// A room joined over federation indexes every member of the state before
// the join, remote ones too, as a room created here would: who shares a
// room with whom (device lists, the user directory) reads that index.
func TestAdoptIndexesEveryMember(t *testing.T) {
	signer := testSigner(t)
	signer.ServerName = "joiner.example" // bob and alice of example.org are remote here
	d, st, _ := newDir(t, vfs.NewMem(), Config{Signer: signer})
	r := newResident(t, version.ID("12"))
	join, _ := adoptFromResident(t, d, r)
	for _, user := range []string{bob, alice} {
		m, err := st.Membership(user, join.RoomID)
		if err != nil || m.Membership != event.MembershipJoin {
			t.Errorf("%s's membership in the index after the join: %+v %v", user, m, err)
		}
	}
}
