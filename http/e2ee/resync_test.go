package e2ee

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/federation/fedtest"
	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/signing"
)

// An update that does not chain makes the service fetch the user's whole
// list from GET /user/devices; the fetched list (with its stream_id and
// the old watchers) replaces the cache, and the next update chains onto
// it (server-server-api "Device Management").
func TestResyncOnGap(t *testing.T) {
	hub, err := fedtest.NewHub("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Close()
	peer, err := hub.AddPeer("b.test")
	if err != nil {
		t.Fatal(err)
	}
	selfKey, err := signing.GenerateKey("s1")
	if err != nil {
		t.Fatal(err)
	}
	self := federation.NewPublisher("a.test", selfKey, nil, 0, nil)
	hub.SetKeyring(federation.NewKeyring(federation.KeyringConfig{Fetcher: publisherFetcher{self}}))
	roots, err := federation.LoadRootCAs(hub.CAPEM())
	if err != nil {
		t.Fatal(err)
	}
	client := federation.NewClient(federation.ClientConfig{ServerName: "a.test", Key: selfKey, RootCAs: roots,
		Resolver: federation.NewResolver(federation.ResolverConfig{Overrides: hub.Overrides()}), Timeout: 5 * time.Second})
	peer.Handle(fasthttp.MethodGet, "/_matrix/federation/v1/user/devices/", func(ctx *fasthttp.RequestCtx) {
		body, _ := json.Marshal(map[string]any{"user_id": bob, "stream_id": 9, "devices": []map[string]any{
			{"device_id": "D1", "keys": devKeys(bob, "D1", "k1")},
			{"device_id": "D2", "device_display_name": "Tablet", "keys": devKeys(bob, "D2", "k2")},
			{"device_id": "BAD", "keys": devKeys("@eve:b.test", "BAD", "k")},
		}, "master_key": csKey(bob, "master", "M")})
		ctx.SetBody(body)
	})

	f := newFixture(t, client)
	f.write(func(b *persistence.Batch) {
		b.PutRemoteDeviceList(persistence.RemoteDeviceList{UserID: bob, StreamID: 3, Watchers: []string{"carol"},
			Devices: map[string]json.RawMessage{"D1": devKeys(bob, "D1", "k1")}})
	})
	f.s.DeviceListUpdate("b.test", json.RawMessage(`{"user_id":"@bob:b.test","device_id":"D2","stream_id":9,"prev_id":[8]}`))
	deadline := time.Now().Add(10 * time.Second)
	var l persistence.RemoteDeviceList
	for {
		if l, err = f.store.RemoteDeviceList(bob); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no list after the resync: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	var ids []string
	for id := range l.Devices {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	if l.StreamID != 9 || !slices.Equal(ids, []string{"D1", "D2"}) || !slices.Equal(l.Watchers, []string{"carol"}) || l.MasterKey == nil {
		t.Fatalf("resynced list: stream %d devices %v watchers %v master %s", l.StreamID, ids, l.Watchers, l.MasterKey)
	}
	f.s.DeviceListUpdate("b.test", json.RawMessage(`{"user_id":"@bob:b.test","device_id":"D1","stream_id":10,"prev_id":[9],"deleted":true}`))
	if l, _ = f.store.RemoteDeviceList(bob); l.StreamID != 10 || len(l.Devices) != 1 || l.Devices["D2"] == nil {
		t.Fatalf("update after the resync: stream %d devices %v", l.StreamID, l.Devices)
	}
}

// publisherFetcher serves this server's own keys to the hub's keyring,
// which checks the X-Matrix signatures of requests to its peers.
type publisherFetcher struct{ p *federation.Publisher }

func (f publisherFetcher) FetchServerKeys(context.Context, string) ([]byte, error) {
	b, _, err := f.p.Response()
	return b, err
}

func (f publisherFetcher) QueryNotary(context.Context, string, []byte) ([]byte, error) {
	return nil, errors.New("no notary in this test")
}
