package e2ee

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/persistence"
)

// fixture is a service over an in-memory store for server a.test that
// records the device-list changes it reports and the EDUs it sends.
type fixture struct {
	t       testing.TB
	s       *Service
	store   *persistence.Store
	mu      sync.Mutex
	changed []string
	watched [][]string
	sent    map[string][]federation.EDU
	woken   map[string]int
}

func newFixture(t testing.TB, client *federation.Client) *fixture {
	t.Helper()
	// On disk: http/ may not import Pebble, not even its in-memory vfs.
	st, err := persistence.Open(t.TempDir(), persistence.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, store: st, sent: map[string][]federation.EDU{}, woken: map[string]int{}}
	f.s = New(Config{ServerName: "a.test", Store: st, Client: client,
		SendEDU: func(dest string, e federation.EDU) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.sent[dest] = append(f.sent[dest], e)
		},
		WakeToDevice: func(dests []string) {
			f.mu.Lock()
			defer f.mu.Unlock()
			for _, d := range dests {
				f.woken[d]++
			}
		},
		Changed: func(uid string, watchers []string) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.changed = append(f.changed, uid)
			f.watched = append(f.watched, watchers)
		}})
	t.Cleanup(func() {
		f.s.Close()
		st.Close()
	})
	return f
}

func (f *fixture) takeChanged() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.changed
	f.changed = nil
	return c
}

func (f *fixture) write(fill func(b *persistence.Batch)) {
	f.t.Helper()
	b := f.store.NewBatch()
	fill(b)
	if err := b.Commit(); err != nil {
		f.t.Fatal(err)
	}
}

// devKeys is a DeviceKeys object of user's device with one ed25519 key.
func devKeys(user, device, key string) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"user_id":%q,"device_id":%q,"algorithms":["m.olm.v1.curve25519-aes-sha2"],"keys":{"ed25519:%s":%q}}`,
		user, device, device, key))
}

func csKey(user, usage, pub string) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"user_id":%q,"usage":[%q],"keys":{"ed25519:%s":%q}}`, user, usage, pub, pub))
}
