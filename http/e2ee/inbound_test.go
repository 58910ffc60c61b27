package e2ee

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/axonhs/axon/persistence"
)

const bob = "@bob:b.test"

// An inbound m.device_list_update is applied when its prev_id chains onto
// the cached list, drops the cached list (to be resynced) when it does
// not, and is ignored when it is a replay, malformed, or about a user of
// another server than the sender (server-server-api "Device Management").
func TestDeviceListUpdate(t *testing.T) {
	cached := func(stream int64, devices ...string) *persistence.RemoteDeviceList {
		l := &persistence.RemoteDeviceList{UserID: bob, StreamID: stream, Devices: map[string]json.RawMessage{}, Watchers: []string{"carol"}}
		for _, d := range devices {
			l.Devices[d] = devKeys(bob, d, "k"+d)
		}
		return l
	}
	tests := []struct {
		name        string
		cache       *persistence.RemoteDeviceList
		origin      string
		edu         string
		wantDevices []string // nil: the cached list is gone
		wantStream  int64
		wantChanged bool
		wantName    string // unsigned.device_display_name of D1, when set
	}{
		{name: "new device chains", cache: cached(3, "D1"), origin: "b.test",
			edu:         `{"user_id":"@bob:b.test","device_id":"D2","stream_id":4,"prev_id":[3],"keys":` + string(devKeys(bob, "D2", "k2")) + `}`,
			wantDevices: []string{"D1", "D2"}, wantStream: 4, wantChanged: true},
		{name: "deleted device", cache: cached(3, "D1", "D2"), origin: "b.test",
			edu:         `{"user_id":"@bob:b.test","device_id":"D2","stream_id":5,"prev_id":[3],"deleted":true}`,
			wantDevices: []string{"D1"}, wantStream: 5, wantChanged: true},
		{name: "rename without keys", cache: cached(3, "D1"), origin: "b.test",
			edu:         `{"user_id":"@bob:b.test","device_id":"D1","device_display_name":"Phone","stream_id":4,"prev_id":[3]}`,
			wantDevices: []string{"D1"}, wantStream: 4, wantChanged: true, wantName: "Phone"},
		{name: "first of a sequence onto a queried list", cache: cached(0, "D1"), origin: "b.test",
			edu:         `{"user_id":"@bob:b.test","device_id":"D2","stream_id":1,"keys":` + string(devKeys(bob, "D2", "k2")) + `}`,
			wantDevices: []string{"D1", "D2"}, wantStream: 1, wantChanged: true},
		{name: "gap drops the list", cache: cached(3, "D1"), origin: "b.test",
			edu:         `{"user_id":"@bob:b.test","device_id":"D2","stream_id":6,"prev_id":[5]}`,
			wantDevices: nil, wantChanged: true},
		{name: "unknown position drops the list", cache: cached(0, "D1"), origin: "b.test",
			edu:         `{"user_id":"@bob:b.test","device_id":"D2","stream_id":9,"prev_id":[8]}`,
			wantDevices: nil, wantChanged: true},
		{name: "replay ignored", cache: cached(3, "D1"), origin: "b.test",
			edu:         `{"user_id":"@bob:b.test","device_id":"D1","stream_id":3,"prev_id":[2],"deleted":true}`,
			wantDevices: []string{"D1"}, wantStream: 3},
		{name: "user of another server", cache: cached(3, "D1"), origin: "c.test",
			edu:         `{"user_id":"@bob:b.test","device_id":"D1","stream_id":4,"prev_id":[3],"deleted":true}`,
			wantDevices: []string{"D1"}, wantStream: 3},
		{name: "keys of another device", cache: cached(3, "D1"), origin: "b.test",
			edu:         `{"user_id":"@bob:b.test","device_id":"D2","stream_id":4,"prev_id":[3],"keys":` + string(devKeys(bob, "D9", "k")) + `}`,
			wantDevices: []string{"D1"}, wantStream: 3},
		{name: "no stream_id", cache: cached(3, "D1"), origin: "b.test",
			edu:         `{"user_id":"@bob:b.test","device_id":"D1","deleted":true}`,
			wantDevices: []string{"D1"}, wantStream: 3},
		{name: "not an object", cache: cached(3, "D1"), origin: "b.test", edu: `[1]`,
			wantDevices: []string{"D1"}, wantStream: 3},
		{name: "one device too many drops the list", cache: cached(3, manyDevices(maxCachedDevices)...), origin: "b.test",
			edu:         `{"user_id":"@bob:b.test","device_id":"NEW","stream_id":4,"prev_id":[3],"keys":` + string(devKeys(bob, "NEW", "k")) + `}`,
			wantDevices: nil, wantChanged: true},
		{name: "untracked user", origin: "b.test",
			edu:         `{"user_id":"@bob:b.test","device_id":"D1","stream_id":4,"prev_id":[3]}`,
			wantDevices: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			if tc.cache != nil {
				f.write(func(b *persistence.Batch) { b.PutRemoteDeviceList(*tc.cache) })
			}
			f.s.DeviceListUpdate(tc.origin, json.RawMessage(tc.edu))
			l, err := f.store.RemoteDeviceList(bob)
			if tc.wantDevices == nil {
				if !errors.Is(err, persistence.ErrNotFound) {
					t.Fatalf("cached list %+v, %v; want none", l, err)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for d := range l.Devices {
					got = append(got, d)
				}
				sort.Strings(got)
				if !slices.Equal(got, tc.wantDevices) || l.StreamID != tc.wantStream {
					t.Fatalf("cached devices %v at stream %d, want %v at %d", got, l.StreamID, tc.wantDevices, tc.wantStream)
				}
			}
			if tc.wantName != "" && !strings.Contains(string(l.Devices["D1"]), fmt.Sprintf(`"device_display_name":%q`, tc.wantName)) {
				t.Fatalf("D1 = %s, want display name %q", l.Devices["D1"], tc.wantName)
			}
			if tc.wantChanged && tc.cache != nil && (len(f.watched) != 1 || !slices.Equal(f.watched[0], []string{"carol"})) {
				t.Fatalf("watchers woken %v, want [[carol]]", f.watched)
			}
			changed := f.takeChanged()
			if tc.wantChanged != slices.Equal(changed, []string{bob}) || (!tc.wantChanged && len(changed) != 0) {
				t.Fatalf("changes reported %v, want changed=%v", changed, tc.wantChanged)
			}
			pos, _ := f.store.DeviceListPosition()
			users, _ := f.store.DeviceListChangedUsers(0, pos, "a.test")
			if tc.wantChanged != slices.Equal(users, []string{bob}) {
				t.Fatalf("device-list log %v, want changed=%v", users, tc.wantChanged)
			}
		})
	}
}

func manyDevices(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("D%04d", i)
	}
	return out
}

// An m.signing_key_update replaces the cached cross-signing keys when they
// belong to the user, and is ignored otherwise.
func TestSigningKeyUpdate(t *testing.T) {
	tests := []struct {
		name, origin, edu string
		wantMaster        string
		wantChanged       bool
	}{
		{"new master", "b.test", `{"user_id":"@bob:b.test","master_key":` + string(csKey(bob, "master", "M2")) + `}`, "M2", true},
		{"both keys", "b.test", `{"user_id":"@bob:b.test","master_key":` + string(csKey(bob, "master", "M3")) +
			`,"self_signing_key":` + string(csKey(bob, "self_signing", "S3")) + `}`, "M3", true},
		{"master of someone else", "b.test", `{"user_id":"@bob:b.test","master_key":` + string(csKey("@eve:b.test", "master", "E")) + `}`, "M1", false},
		{"wrong usage", "b.test", `{"user_id":"@bob:b.test","master_key":` + string(csKey(bob, "user_signing", "U")) + `}`, "M1", false},
		{"sent by another server", "c.test", `{"user_id":"@bob:b.test","master_key":` + string(csKey(bob, "master", "M2")) + `}`, "M1", false},
		{"malformed", "b.test", `{"user_id":5}`, "M1", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			f.write(func(b *persistence.Batch) {
				b.PutRemoteDeviceList(persistence.RemoteDeviceList{UserID: bob, StreamID: 2, MasterKey: csKey(bob, "master", "M1")})
			})
			f.s.SigningKeyUpdate(tc.origin, json.RawMessage(tc.edu))
			l, err := f.store.RemoteDeviceList(bob)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(l.MasterKey), `"ed25519:`+tc.wantMaster+`"`) {
				t.Fatalf("master key %s, want %s", l.MasterKey, tc.wantMaster)
			}
			if got := f.takeChanged(); (len(got) == 1) != tc.wantChanged {
				t.Fatalf("changes reported %v, want changed=%v", got, tc.wantChanged)
			}
		})
	}
}

// The updates of one transaction apply in order, each onto the one
// before, and commit together: one log entry per user changed.
func TestDeviceListUpdatesBatch(t *testing.T) {
	f := newFixture(t, nil)
	const carol = "@carol:b.test"
	f.write(func(b *persistence.Batch) {
		b.PutRemoteDeviceList(persistence.RemoteDeviceList{UserID: bob, StreamID: 3, Devices: map[string]json.RawMessage{"D1": devKeys(bob, "D1", "k")}})
		b.PutRemoteDeviceList(persistence.RemoteDeviceList{UserID: carol, StreamID: 1, Devices: map[string]json.RawMessage{}})
	})
	before, _ := f.store.DeviceListPosition()
	f.s.DeviceListUpdates("b.test", []json.RawMessage{
		json.RawMessage(`{"user_id":"@bob:b.test","device_id":"D2","stream_id":4,"prev_id":[3],"keys":` + string(devKeys(bob, "D2", "k")) + `}`),
		json.RawMessage(`{"user_id":"@carol:b.test","device_id":"C1","stream_id":2,"prev_id":[1],"keys":` + string(devKeys(carol, "C1", "k")) + `}`),
		json.RawMessage(`{"user_id":"@bob:b.test","device_id":"D1","stream_id":5,"prev_id":[4],"deleted":true}`),
		json.RawMessage(`not json`),
		json.RawMessage(`{"user_id":"@bob:b.test","device_id":"D3","stream_id":6,"prev_id":[5],"keys":` + string(devKeys(bob, "D3", "k")) + `}`),
	})
	l, err := f.store.RemoteDeviceList(bob)
	if err != nil || l.StreamID != 6 || len(l.Devices) != 2 || l.Devices["D2"] == nil || l.Devices["D3"] == nil {
		t.Fatalf("bob's list: %+v, %v", l, err)
	}
	if c, _ := f.store.RemoteDeviceList(carol); c.StreamID != 2 || c.Devices["C1"] == nil {
		t.Fatalf("carol's list: %+v", c)
	}
	after, _ := f.store.DeviceListPosition()
	users, _ := f.store.DeviceListChangedUsers(before, after, "a.test")
	if after-before != 2 || !slices.Equal(users, []string{bob, carol}) {
		t.Fatalf("log after the batch: %d entries, users %v", after-before, users)
	}
	if got := f.takeChanged(); !slices.Equal(got, []string{bob, carol}) {
		t.Fatalf("changes reported %v", got)
	}
}
