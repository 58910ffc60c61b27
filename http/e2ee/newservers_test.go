package e2ee

import (
	"slices"
	"strconv"
	"testing"

	"github.com/axonhs/axon/persistence"
)

// The full announcement a server newly sharing a room gets names every
// current device with keys and the cross-signing keys, on stream_ids
// chained onto the last one announced, and never a deleted device.
func TestFullAnnouncement(t *testing.T) {
	f := newFixture(t, nil)
	const alice = "@alice:a.test"
	f.write(func(b *persistence.Batch) {
		for _, d := range []string{"D1", "D2", "GONE"} {
			b.PutDevice("alice", persistence.Device{ID: d})
			b.PutDeviceKeys("alice", d, devKeys(alice, d, "k-"+d))
		}
		b.PutDevice("alice", persistence.Device{ID: "NOKEYS"})
		b.PutCrossSigningKey("alice", "master", csKey(alice, "master", "M"))
	})
	if err := f.s.publish("alice"); err != nil {
		t.Fatal(err)
	}
	f.write(func(b *persistence.Batch) { b.DeleteDevice("alice", "GONE") })
	if err := f.s.publish("alice"); err != nil {
		t.Fatal(err)
	}
	if id, _ := f.s.StreamID("alice"); id != 4 {
		t.Fatalf("stream_id after three devices and a deletion: %d", id)
	}
	edus, next, err := f.s.announcements("alice", true)
	if err != nil {
		t.Fatal(err)
	}
	var got []announced
	for _, e := range edus {
		got = append(got, decodeAnnounced(t, e.Type, e.Content))
	}
	want := []announced{
		{Type: "m.device_list_update", Device: "D1", Stream: 5, Prev: []int64{4}, HasKeys: true},
		{Type: "m.device_list_update", Device: "D2", Stream: 6, Prev: []int64{5}, HasKeys: true},
		{Type: "m.signing_key_update", HasMastr: true},
	}
	if !slices.EqualFunc(got, want, func(a, b announced) bool {
		return a.Type == b.Type && a.Device == b.Device && a.Stream == b.Stream && slices.Equal(a.Prev, b.Prev) &&
			a.HasKeys == b.HasKeys && a.HasMastr == b.HasMastr && !a.Deleted
	}) {
		t.Fatalf("full announcement %+v, want %+v", got, want)
	}
	if next.StreamID != 6 || len(next.Devices) != 2 {
		t.Fatalf("recorded %+v", next)
	}
}

// BenchmarkRoomCommitted is the room actor's cost per commit of a room of
// 10,000 members on 100 servers, all known to be joined.
func BenchmarkRoomCommitted(b *testing.B) {
	f := newFixture(b, nil)
	users := make([]string, 10_000)
	joined := make([]string, 100)
	for i := range users {
		users[i] = "@u" + strconv.Itoa(i) + ":s" + strconv.Itoa(i%100) + ".test"
	}
	for i := range joined {
		joined[i] = "s" + strconv.Itoa(i) + ".test"
	}
	f.s.remember("!r:a.test", joined)
	b.ResetTimer()
	for range b.N {
		f.s.RoomCommitted("!r:a.test", users)
	}
}
