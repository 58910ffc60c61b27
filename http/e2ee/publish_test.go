package e2ee

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/axonhs/axon/persistence"
)

// announced is the part of an outbound EDU the test checks.
type announced struct {
	Type     string
	Device   string
	Stream   int64
	Prev     []int64
	Deleted  bool
	Name     string
	HasKeys  bool
	HasMastr bool
}

func decodeAnnounced(t *testing.T, typ string, content json.RawMessage) announced {
	t.Helper()
	var c struct {
		UserID    string          `json:"user_id"`
		DeviceID  string          `json:"device_id"`
		StreamID  int64           `json:"stream_id"`
		PrevID    []int64         `json:"prev_id"`
		Deleted   bool            `json:"deleted"`
		Name      string          `json:"device_display_name"`
		Keys      json.RawMessage `json:"keys"`
		MasterKey json.RawMessage `json:"master_key"`
	}
	if err := json.Unmarshal(content, &c); err != nil || c.UserID != "@alice:a.test" {
		t.Fatalf("EDU content %s: %v", content, err)
	}
	return announced{Type: typ, Device: c.DeviceID, Stream: c.StreamID, Prev: c.PrevID, Deleted: c.Deleted, Name: c.Name,
		HasKeys: len(c.Keys) > 0, HasMastr: len(c.MasterKey) > 0}
}

// Each change of a local user's devices is announced once, as one
// m.device_list_update per device whose stream_id follows the last and
// whose prev_id names it; a changed master key is an m.signing_key_update;
// devices without keys are not announced (server-server-api "Device
// Management").
func TestAnnouncements(t *testing.T) {
	f := newFixture(t, nil)
	const alice = "@alice:a.test"
	steps := []struct {
		name   string
		change func(b *persistence.Batch)
		want   []announced
	}{
		{"first device", func(b *persistence.Batch) {
			b.PutDevice("alice", persistence.Device{ID: "D1"})
			b.PutDeviceKeys("alice", "D1", devKeys(alice, "D1", "k1"))
		}, []announced{{Type: "m.device_list_update", Device: "D1", Stream: 1, Prev: []int64{}, HasKeys: true}}},
		{"nothing changed", func(*persistence.Batch) {}, nil},
		{"a device without keys", func(b *persistence.Batch) {
			b.PutDevice("alice", persistence.Device{ID: "D3"})
		}, nil},
		{"rename and a second device", func(b *persistence.Batch) {
			b.PutDevice("alice", persistence.Device{ID: "D1", DisplayName: "Laptop"})
			b.PutDevice("alice", persistence.Device{ID: "D2"})
			b.PutDeviceKeys("alice", "D2", devKeys(alice, "D2", "k2"))
		}, []announced{
			{Type: "m.device_list_update", Device: "D1", Stream: 2, Prev: []int64{1}, HasKeys: true, Name: "Laptop"},
			{Type: "m.device_list_update", Device: "D2", Stream: 3, Prev: []int64{2}, HasKeys: true},
		}},
		{"deleted device", func(b *persistence.Batch) {
			b.DeleteDevice("alice", "D2")
			b.DeleteDeviceE2EE("alice", "D2")
		}, []announced{{Type: "m.device_list_update", Device: "D2", Stream: 4, Prev: []int64{3}, Deleted: true}}},
		{"cross-signing keys", func(b *persistence.Batch) {
			b.PutCrossSigningKey("alice", "master", csKey(alice, "master", "M"))
		}, []announced{{Type: "m.signing_key_update", Prev: nil, HasMastr: true}}},
	}
	for _, st := range steps {
		f.write(st.change)
		edus, _, err := f.s.announcements("alice", false)
		if err != nil {
			t.Fatal(err)
		}
		var got []announced
		for _, e := range edus {
			got = append(got, decodeAnnounced(t, e.Type, e.Content))
		}
		if !slices.EqualFunc(got, st.want, func(a, b announced) bool {
			return a.Type == b.Type && a.Device == b.Device && a.Stream == b.Stream && slices.Equal(a.Prev, b.Prev) &&
				a.Deleted == b.Deleted && a.Name == b.Name && a.HasKeys == b.HasKeys && a.HasMastr == b.HasMastr
		}) {
			t.Fatalf("%s: announced %+v, want %+v", st.name, got, st.want)
		}
		if err := f.s.publish("alice"); err != nil {
			t.Fatal(err)
		}
	}
	if id, err := f.s.StreamID("alice"); err != nil || id != 4 {
		t.Fatalf("StreamID = %d, %v; want 4, the last update's", id, err)
	}
}

// After a restart, Recover announces the recent changes a crash may have
// left unannounced, and nothing for users already announced.
func TestRecover(t *testing.T) {
	f := newFixture(t, nil)
	const alice = "@alice:a.test"
	b := f.store.NewBatch()
	b.PutDevice("alice", persistence.Device{ID: "D1"})
	b.PutDeviceKeys("alice", "D1", devKeys(alice, "D1", "k1"))
	if _, err := f.store.CommitDeviceListChange(b, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.CommitRemoteDeviceListChange(f.store.NewBatch(), bob); err != nil {
		t.Fatal(err)
	}
	if err := f.s.Recover(); err != nil {
		t.Fatal(err)
	}
	f.s.Close() // waits for the announcements
	if id, err := f.s.StreamID("alice"); err != nil || id != 1 {
		t.Fatalf("alice's stream after Recover: %d, %v; want 1", id, err)
	}
	if sent, _ := f.store.SentDeviceList("bob"); sent.StreamID != 0 {
		t.Fatalf("a remote user was announced: %+v", sent)
	}
}
