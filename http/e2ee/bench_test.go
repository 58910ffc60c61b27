package e2ee

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/axonhs/axon/persistence"
)

// BenchmarkDeviceListUpdate applies chained m.device_list_update EDUs to
// a cached list of 10 devices: decode, checks, one batch with the cache
// row and the device-list log entry, committed with fsync to the test's
// temporary directory.
func BenchmarkDeviceListUpdate(b *testing.B) {
	f := newFixture(b, nil)
	l := persistence.RemoteDeviceList{UserID: bob, StreamID: 1, Devices: map[string]json.RawMessage{}}
	for i := range 10 {
		d := fmt.Sprintf("D%d", i)
		l.Devices[d] = devKeys(bob, d, "k")
	}
	f.write(func(bt *persistence.Batch) { bt.PutRemoteDeviceList(l) })
	keys := string(devKeys(bob, "D3", "k2"))
	edus := make([][]byte, b.N)
	for i := range edus {
		edus[i] = fmt.Appendf(nil, `{"user_id":"@bob:b.test","device_id":"D3","stream_id":%d,"prev_id":[%d],"keys":%s}`, i+2, i+1, keys)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		f.s.DeviceListUpdate("b.test", edus[i])
	}
	b.StopTimer()
	if got, _ := f.store.RemoteDeviceList(bob); got.StreamID != int64(b.N+1) {
		b.Fatalf("stream %d after %d updates", got.StreamID, b.N)
	}
}

// BenchmarkQueryKeysCached answers a query for one remote user with 10
// devices from the cache.
func BenchmarkQueryKeysCached(b *testing.B) {
	f := newFixture(b, nil)
	l := persistence.RemoteDeviceList{UserID: bob, StreamID: 1, Devices: map[string]json.RawMessage{}, Watchers: []string{"alice"}}
	for i := range 10 {
		d := fmt.Sprintf("D%d", i)
		l.Devices[d] = devKeys(bob, d, "k")
	}
	f.write(func(bt *persistence.Batch) { bt.PutRemoteDeviceList(l) })
	users := map[string][]string{bob: nil}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if q := f.s.QueryKeys(context.Background(), "alice", users, time.Second, always); len(q.DeviceKeys[bob]) != 10 {
			b.Fatalf("query: %+v", q)
		}
	}
}

// BenchmarkDeviceListTransaction applies the 100 chained updates of one
// full transaction (server-server-api "Transactions": at most 100 EDUs),
// one call per EDU against one call for the transaction.
func BenchmarkDeviceListTransaction(b *testing.B) {
	keys := string(devKeys(bob, "D3", "k2"))
	for _, mode := range []string{"per-EDU", "per-transaction"} {
		b.Run(mode, func(b *testing.B) {
			f := newFixture(b, nil)
			f.write(func(bt *persistence.Batch) {
				bt.PutRemoteDeviceList(persistence.RemoteDeviceList{UserID: bob, StreamID: 1, Devices: map[string]json.RawMessage{}})
			})
			stream := 1
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				txn := make([]json.RawMessage, 100)
				for i := range txn {
					txn[i] = fmt.Appendf(nil, `{"user_id":"@bob:b.test","device_id":"D3","stream_id":%d,"prev_id":[%d],"keys":%s}`, stream+1, stream, keys)
					stream++
				}
				if mode == "per-EDU" {
					for _, c := range txn {
						f.s.DeviceListUpdate("b.test", c)
					}
				} else {
					f.s.DeviceListUpdates("b.test", txn)
				}
			}
			b.StopTimer()
			if got, _ := f.store.RemoteDeviceList(bob); got.StreamID != int64(stream) {
				b.Fatalf("stream %d, want %d", got.StreamID, stream)
			}
		})
	}
}
