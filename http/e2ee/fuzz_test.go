package e2ee

import (
	"encoding/json"
	"testing"

	"github.com/axonhs/axon/persistence"
)

// FuzzInboundEDUs feeds arbitrary content to the m.device_list_update and
// m.signing_key_update handlers: nothing may panic, and whatever is cached
// afterwards is still a list of bob's well-formed device keys. The seed
// corpus is under testdata/fuzz/FuzzInboundEDUs.
func FuzzInboundEDUs(f *testing.F) {
	f.Add([]byte(`{"user_id":"@bob:b.test","device_id":"D2","stream_id":4,"prev_id":[3],"keys":{"user_id":"@bob:b.test","device_id":"D2","keys":{"ed25519:D2":"k"}}}`))
	f.Add([]byte(`{"user_id":"@bob:b.test","master_key":{"user_id":"@bob:b.test","usage":["master"],"keys":{"ed25519:M":"M"}}}`))
	fx := newFixture(f, nil)
	f.Fuzz(func(t *testing.T, content []byte) {
		b := fx.store.NewBatch()
		b.PutRemoteDeviceList(persistence.RemoteDeviceList{UserID: bob, StreamID: 3,
			Devices: map[string]json.RawMessage{"D1": devKeys(bob, "D1", "k1")}})
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		fx.s.DeviceListUpdate("b.test", content)
		fx.s.SigningKeyUpdate("b.test", content)
		l, err := fx.store.RemoteDeviceList(bob)
		if err != nil {
			return // dropped for a resync
		}
		for id, k := range l.Devices {
			if !validDeviceKeys(bob, id, k) {
				t.Fatalf("cached an invalid device %s: %s", id, k)
			}
		}
		if l.MasterKey != nil && validCrossSigning(bob, "master", l.MasterKey) == nil {
			t.Fatalf("cached an invalid master key %s", l.MasterKey)
		}
	})
}
