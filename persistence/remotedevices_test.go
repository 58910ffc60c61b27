package persistence

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// A remote user's cached device list and a local user's announcement
// record round-trip; both read as absent until written.
func TestRemoteDeviceListRoundTrip(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	if _, err := s.RemoteDeviceList("@bob:b.test"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("absent list: %v, want ErrNotFound", err)
	}
	if sent, err := s.SentDeviceList("alice"); err != nil || sent.StreamID != 0 || len(sent.Devices) != 0 {
		t.Fatalf("absent announcement: %+v %v, want zero", sent, err)
	}
	l := RemoteDeviceList{UserID: "@bob:b.test", StreamID: 7, Devices: map[string]json.RawMessage{"D": json.RawMessage(`{"device_id":"D"}`)},
		MasterKey: json.RawMessage(`{"usage":["master"]}`), FetchedMS: 42}
	b := s.NewBatch()
	b.PutRemoteDeviceList(l)
	b.PutSentDeviceList("alice", SentDeviceList{StreamID: 3, Devices: map[string]string{"X": "d1"}})
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	got, err := s.RemoteDeviceList("@bob:b.test")
	if err != nil || got.StreamID != 7 || string(got.Devices["D"]) != `{"device_id":"D"}` || string(got.MasterKey) != `{"usage":["master"]}` {
		t.Fatalf("cached list = %+v, %v", got, err)
	}
	sent, err := s.SentDeviceList("alice")
	if err != nil || sent.StreamID != 3 || sent.Devices["X"] != "d1" {
		t.Fatalf("announcement = %+v, %v", sent, err)
	}
	b = s.NewBatch()
	b.DeleteRemoteDeviceList("@bob:b.test")
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RemoteDeviceList("@bob:b.test"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted list: %v, want ErrNotFound", err)
	}
}

// The device-list log holds local and remote changes; DeviceListChanges
// keeps its localparts-only answer, DeviceListChangedUsers gives user IDs
// of both kinds, each once.
func TestDeviceListLogRemoteEntries(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	start, err := s.DeviceListPosition()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		remote bool
		who    string
	}{{false, "alice"}, {true, "@bob:b.test"}, {false, "carol"}, {true, "@bob:b.test"}, {false, "alice"}} {
		var err error
		if c.remote {
			_, err = s.CommitRemoteDeviceListChange(s.NewBatch(), c.who)
		} else {
			_, err = s.CommitDeviceListChange(s.NewBatch(), c.who)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	end, _ := s.DeviceListPosition()
	if end != start+5 {
		t.Fatalf("position %d after 5 changes from %d", end, start)
	}
	local, err := s.DeviceListChanges(start, end)
	if err != nil || !slices.Equal(local, []string{"alice", "carol"}) {
		t.Fatalf("DeviceListChanges = %v, %v", local, err)
	}
	all, err := s.DeviceListChangedUsers(start, end, "a.test")
	if err != nil || !slices.Equal(all, []string{"@alice:a.test", "@bob:b.test", "@carol:a.test"}) {
		t.Fatalf("DeviceListChangedUsers = %v, %v", all, err)
	}
	if tail, _ := s.DeviceListChangedUsers(start+3, end, "a.test"); !slices.Equal(tail, []string{"@bob:b.test", "@alice:a.test"}) {
		t.Fatalf("changes after the third = %v", tail)
	}
	if _, err := s.CommitRemoteDeviceListChange(s.NewBatch(), "bob"); !errors.Is(err, ErrInvalidRemoteUser) {
		t.Fatalf("a localpart as a remote user: %v, want ErrInvalidRemoteUser", err)
	}
}
