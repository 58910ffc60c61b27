package user

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/axonhs/axon/persistence"
)

func registerWithDevice(t *testing.T, d *Directory, lp string) Credentials {
	t.Helper()
	c, err := d.Register(ctx(t), Registration{Localpart: lp, PasswordHash: "H", Login: &LoginOptions{}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func deviceKeys(lp, dev, curve string) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"user_id":"@%s:hs","device_id":%q,"algorithms":["m.olm.v1.curve25519-aes-sha2"],"keys":{"curve25519:%s":%q,"ed25519:%s":"ed"},"signatures":{}}`, lp, dev, dev, curve, dev))
}

func TestOneTimeKeysClaimedExactlyOnceUnderConcurrency(t *testing.T) {
	d, st := newTestDirectory(t, Config{})
	c := registerWithDevice(t, d, "alice")
	const keys, claimers = 25, 60
	otks := map[string]json.RawMessage{}
	for i := range keys {
		otks[fmt.Sprintf("signed_curve25519:K%03d", i)] = json.RawMessage(fmt.Sprintf(`{"key":"k%d"}`, i))
	}
	v, err := d.Do(ctx(t), "alice", UploadKeys{DeviceID: c.DeviceID, DeviceKeys: deviceKeys("alice", c.DeviceID, "A"), OneTimeKeys: otks})
	if err != nil {
		t.Fatal(err)
	}
	if got := v.(map[string]int)["signed_curve25519"]; got != keys {
		t.Fatalf("count after upload = %d, want %d", got, keys)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	empty := 0
	var wg sync.WaitGroup
	for range claimers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := d.Do(ctx(t), "alice", ClaimKeys{Want: map[string]string{c.DeviceID: "signed_curve25519"}})
			if err != nil {
				t.Error(err)
				return
			}
			got := v.(map[string]map[string]json.RawMessage)[c.DeviceID]
			mu.Lock()
			defer mu.Unlock()
			if len(got) == 0 {
				empty++
			}
			for id := range got {
				seen[id]++
			}
		}()
	}
	wg.Wait()
	if len(seen) != keys || empty != claimers-keys {
		t.Fatalf("claimed %d distinct keys and %d empty answers, want %d and %d", len(seen), empty, keys, claimers-keys)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("key %s handed out %d times", id, n)
		}
	}
	counts, err := st.OneTimeKeyCounts("alice", c.DeviceID)
	if err != nil || counts["signed_curve25519"] != 0 {
		t.Fatalf("counts after claims = %v, %v", counts, err)
	}
}

func TestClaimFallsBackToFallbackKey(t *testing.T) {
	d, st := newTestDirectory(t, Config{})
	c := registerWithDevice(t, d, "alice")
	_, err := d.Do(ctx(t), "alice", UploadKeys{DeviceID: c.DeviceID,
		OneTimeKeys:  map[string]json.RawMessage{"signed_curve25519:one": json.RawMessage(`{"key":"1"}`)},
		FallbackKeys: map[string]json.RawMessage{"signed_curve25519:fb": json.RawMessage(`{"key":"F","fallback":true}`)}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"signed_curve25519:one", "signed_curve25519:fb", "signed_curve25519:fb"}
	for i, w := range want {
		v, err := d.Do(ctx(t), "alice", ClaimKeys{Want: map[string]string{c.DeviceID: "signed_curve25519"}})
		if err != nil {
			t.Fatal(err)
		}
		got := v.(map[string]map[string]json.RawMessage)[c.DeviceID]
		if _, ok := got[w]; !ok || len(got) != 1 {
			t.Fatalf("claim %d = %v, want %s", i, got, w)
		}
	}
	fbs, err := st.FallbackKeys("alice", c.DeviceID)
	if err != nil || !fbs["signed_curve25519"].Used {
		t.Fatalf("fallback key after claims = %+v, %v; want it marked used", fbs, err)
	}
}

func TestDeviceKeysMayNotChange(t *testing.T) {
	d, st := newTestDirectory(t, Config{})
	c := registerWithDevice(t, d, "alice")
	before, _ := st.DeviceListPosition()
	if _, err := d.Do(ctx(t), "alice", UploadKeys{DeviceID: c.DeviceID, DeviceKeys: deviceKeys("alice", c.DeviceID, "A")}); err != nil {
		t.Fatal(err)
	}
	after, _ := st.DeviceListPosition()
	if after != before+1 {
		t.Fatalf("device-list position %d → %d, want one change", before, after)
	}
	// The same keys again: accepted, and no new change.
	if _, err := d.Do(ctx(t), "alice", UploadKeys{DeviceID: c.DeviceID, DeviceKeys: deviceKeys("alice", c.DeviceID, "A")}); err != nil {
		t.Fatalf("re-upload of identical keys: %v", err)
	}
	if _, err := d.Do(ctx(t), "alice", UploadKeys{DeviceID: c.DeviceID, DeviceKeys: deviceKeys("alice", c.DeviceID, "B")}); !errors.Is(err, ErrKeysChanged) {
		t.Fatalf("changed keys = %v, want ErrKeysChanged", err)
	}
	stored, _ := st.DeviceKeys("alice", c.DeviceID)
	if same, _ := sameIdentityKeys(stored, deviceKeys("alice", c.DeviceID, "A")); !same {
		t.Fatalf("stored keys changed to %s", stored)
	}
	if _, err := d.Do(ctx(t), "alice", UploadKeys{DeviceID: c.DeviceID, OneTimeKeys: map[string]json.RawMessage{"a:1": json.RawMessage(`"x"`)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Do(ctx(t), "alice", UploadKeys{DeviceID: c.DeviceID, OneTimeKeys: map[string]json.RawMessage{"a:1": json.RawMessage(`"y"`)}}); !errors.Is(err, ErrKeyExists) {
		t.Fatalf("reused one-time key ID = %v, want ErrKeyExists", err)
	}
}

func TestDeletingADeviceDropsItsKeysAndInboxAndIsAChange(t *testing.T) {
	d, st := newTestDirectory(t, Config{})
	c := registerWithDevice(t, d, "alice")
	if _, err := d.Do(ctx(t), "alice", UploadKeys{DeviceID: c.DeviceID, DeviceKeys: deviceKeys("alice", c.DeviceID, "A"),
		OneTimeKeys: map[string]json.RawMessage{"a:1": json.RawMessage(`"x"`)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Do(ctx(t), "alice", DeliverToDevice{Sender: "@bob:hs", SenderDevice: "B", TxnID: "t", Type: "m.test",
		Messages: map[string]json.RawMessage{c.DeviceID: json.RawMessage(`{}`)}}); err != nil {
		t.Fatal(err)
	}
	before, _ := st.DeviceListPosition()
	if _, err := d.Do(ctx(t), "alice", DeleteDevices{DeviceIDs: []string{c.DeviceID}}); err != nil {
		t.Fatal(err)
	}
	after, _ := st.DeviceListPosition()
	changed, _ := st.DeviceListChanges(before, after)
	if len(changed) != 1 || changed[0] != "alice" {
		t.Fatalf("changes after deletion = %v", changed)
	}
	if _, err := st.DeviceKeys("alice", c.DeviceID); !errors.Is(err, persistence.ErrNotFound) {
		t.Fatalf("device keys after deletion: %v", err)
	}
	counts, _ := st.OneTimeKeyCounts("alice", c.DeviceID)
	msgs, _ := st.ToDeviceSince("alice", c.DeviceID, 0, 0)
	if len(counts) != 0 || len(msgs) != 0 {
		t.Fatalf("left behind: counts %v, inbox %v", counts, msgs)
	}
}

func TestToDeviceInboxDeliveredUntilAcknowledged(t *testing.T) {
	d, st := newTestDirectory(t, Config{})
	phone := registerWithDevice(t, d, "alice")
	laptop, err := d.Login(ctx(t), "alice", Login{VerifiedHash: "H"})
	if err != nil {
		t.Fatal(err)
	}
	send := func(txn, body string, to string) {
		t.Helper()
		if _, err := d.Do(ctx(t), "alice", DeliverToDevice{Sender: "@bob:hs", SenderDevice: "BOB", TxnID: txn, Type: "m.test",
			Messages: map[string]json.RawMessage{to: json.RawMessage(`{"body":"` + body + `"}`)}}); err != nil {
			t.Fatal(err)
		}
	}
	send("t1", "one", phone.DeviceID)
	send("t1", "one again", phone.DeviceID) // same txn: idempotent
	send("t2", "two", "*")
	send("t3", "nobody", "NO_SUCH_DEVICE")

	msgs, err := d.ToDeviceSince("alice", phone.DeviceID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || string(msgs[0].Content) != `{"body":"one"}` || string(msgs[1].Content) != `{"body":"two"}` || msgs[0].Sender != "@bob:hs" {
		t.Fatalf("phone inbox = %+v", msgs)
	}
	if l, _ := d.ToDeviceSince("alice", laptop.DeviceID, 0, 0); len(l) != 1 {
		t.Fatalf("laptop inbox = %+v, want the * message", l)
	}
	// Not acknowledged: read again from the same position, still there.
	if again, _ := d.ToDeviceSince("alice", phone.DeviceID, 0, 1); len(again) != 1 || again[0].Pos != msgs[0].Pos {
		t.Fatalf("re-read with limit 1 = %+v", again)
	}
	if err := d.AckToDevice(ctx(t), "alice", phone.DeviceID, msgs[0].Pos); err != nil {
		t.Fatal(err)
	}
	rest, _ := d.ToDeviceSince("alice", phone.DeviceID, 0, 0)
	if len(rest) != 1 || rest[0].Pos != msgs[1].Pos {
		t.Fatalf("after ack of the first = %+v", rest)
	}
	if err := d.AckToDevice(ctx(t), "alice", phone.DeviceID, msgs[1].Pos); err != nil {
		t.Fatal(err)
	}
	if rest, _ := d.ToDeviceSince("alice", phone.DeviceID, 0, 0); len(rest) != 0 {
		t.Fatalf("after ack of all = %+v", rest)
	}
	// Positions keep growing after the inbox is emptied.
	send("t4", "four", phone.DeviceID)
	last, _ := st.ToDevicePosition("alice", phone.DeviceID)
	if last != msgs[1].Pos+1 {
		t.Fatalf("position after emptying = %d, want %d", last, msgs[1].Pos+1)
	}
}

func TestAccountDataStream(t *testing.T) {
	d, st := newTestDirectory(t, Config{})
	registerWithDevice(t, d, "alice")
	put := func(room, typ, content string) uint64 {
		t.Helper()
		v, err := d.Do(ctx(t), "alice", SetAccountData{RoomID: room, Type: typ, Content: json.RawMessage(content)})
		if err != nil {
			t.Fatal(err)
		}
		return v.(uint64)
	}
	p1 := put("", "m.a", `{"v":1}`)
	p2 := put("!r:hs", "m.tag", `{"tags":{}}`)
	p3 := put("", "m.a", `{"v":2}`)
	if p1 != 1 || p2 != 2 || p3 != 3 {
		t.Fatalf("positions %d %d %d", p1, p2, p3)
	}
	all, err := st.AccountDataSince("alice", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].RoomID != "!r:hs" || all[1].Type != "m.a" || string(all[1].Content) != `{"v":2}` || all[1].Pos != 3 {
		t.Fatalf("since 0 = %+v: each entry once, at its latest position", all)
	}
	if since2, _ := st.AccountDataSince("alice", 2, 0); len(since2) != 1 || since2[0].Pos != 3 {
		t.Fatalf("since 2 = %+v", since2)
	}
	if none, _ := st.AccountDataSince("bob", 0, 0); len(none) != 0 {
		t.Fatalf("bob sees %+v", none)
	}
	put("", "m.ignored_user_list", `{"ignored_users":{"@spam:hs":{}}}`)
	ign, err := d.IgnoredUsers("alice")
	if err != nil || !ign["@spam:hs"] || len(ign) != 1 {
		t.Fatalf("ignored = %v, %v", ign, err)
	}
}

func TestProfileHookHearsCommittedChanges(t *testing.T) {
	d, st := newTestDirectory(t, Config{})
	registerWithDevice(t, d, "alice")
	got := make(chan [3]string, 2)
	d.OnProfileChange(func(lp, name, avatar string) { got <- [3]string{lp, name, avatar} })
	name := "Alice"
	if _, err := d.Do(ctx(t), "alice", SetProfile{DisplayName: &name}); err != nil {
		t.Fatal(err)
	}
	if h := <-got; h != [3]string{"alice", "Alice", ""} {
		t.Fatalf("hook got %v", h)
	}
	avatar := "mxc://hs/abc"
	if _, err := d.Do(ctx(t), "alice", SetProfile{AvatarURL: &avatar}); err != nil {
		t.Fatal(err)
	}
	if h := <-got; h != [3]string{"alice", "Alice", "mxc://hs/abc"} {
		t.Fatalf("hook got %v", h)
	}
	p, err := st.Profile("alice")
	if err != nil || p.DisplayName != "Alice" || p.AvatarURL != avatar {
		t.Fatalf("stored profile %+v, %v", p, err)
	}
	if _, err := d.Do(ctx(t), "nobody", SetProfile{DisplayName: &name}); !errors.Is(err, ErrUnknownUser) {
		t.Fatalf("profile of unknown user = %v", err)
	}
}

// Claims start after the last claimed key; a later upload of keys that
// sort before it must still be found.
func TestClaimAfterUploadOfLowerKeys(t *testing.T) {
	d, _ := newTestDirectory(t, Config{})
	c := registerWithDevice(t, d, "alice")
	upload := func(ids ...string) {
		t.Helper()
		m := map[string]json.RawMessage{}
		for _, id := range ids {
			m["signed_curve25519:"+id] = json.RawMessage(`{"key":"` + id + `"}`)
		}
		if _, err := d.Do(ctx(t), "alice", UploadKeys{DeviceID: c.DeviceID, OneTimeKeys: m}); err != nil {
			t.Fatal(err)
		}
	}
	claim := func() string {
		t.Helper()
		v, err := d.Do(ctx(t), "alice", ClaimKeys{Want: map[string]string{c.DeviceID: "signed_curve25519"}})
		if err != nil {
			t.Fatal(err)
		}
		for id := range v.(map[string]map[string]json.RawMessage)[c.DeviceID] {
			return id
		}
		return ""
	}
	upload("m", "n")
	if got := claim(); got != "signed_curve25519:m" {
		t.Fatalf("first claim %q", got)
	}
	upload("a")
	for _, want := range []string{"signed_curve25519:a", "signed_curve25519:n", ""} {
		if got := claim(); got != want {
			t.Fatalf("claim %q, want %q", got, want)
		}
	}
}

func TestNewDeviceIsADeviceListChange(t *testing.T) {
	d, st := newTestDirectory(t, Config{})
	registerWithDevice(t, d, "alice")
	before, _ := st.DeviceListPosition()
	if _, err := d.Login(ctx(t), "alice", Login{VerifiedHash: "H"}); err != nil {
		t.Fatal(err)
	}
	after, _ := st.DeviceListPosition()
	if got, _ := st.DeviceListChanges(before, after); len(got) != 1 || got[0] != "alice" {
		t.Fatalf("changes after a login = %v", got)
	}
	// A failed login changes nothing.
	if _, err := d.Login(ctx(t), "alice", Login{VerifiedHash: "stale"}); !errors.Is(err, ErrForbidden) {
		t.Fatal(err)
	}
	if again, _ := st.DeviceListPosition(); again != after {
		t.Fatalf("failed login moved the device-list position %d → %d", after, again)
	}
}
