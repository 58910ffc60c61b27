package tests

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/axonhs/axon/cmd/axon/homeserver"
	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/federation/fedtest"
)

// e2eePair is two Axon servers federating on loopback, alice on A and bob
// on B in one room, and a third server name whose address accepts
// connections and never answers.
type e2eePair struct {
	t          *testing.T
	a, b       *homeserver.Server
	alice, bob *mautrix.Client
	roomID     string
}

const hangServer = "hang.test"

// hangingListener accepts connections and reads them without answering.
func hangingListener(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				buf := make([]byte, 4096)
				for {
					if _, err := c.Read(buf); err != nil {
						c.Close()
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func newE2EEPair(t *testing.T) *e2eePair {
	t.Helper()
	fs := fedConfigs(t, nil, map[string]string{hangServer: hangingListener(t)}, "hs-a.test", "hs-b.test")
	p := &e2eePair{t: t}
	p.a, p.b = startServer(t, fs[0].cfg), startServer(t, fs[1].cfg)
	p.alice, p.bob = udUser(t, p.a, "alice"), udUser(t, p.b, "bob")
	cr := call(t, p.a, "POST", v3+"/createRoom", p.alice.AccessToken, map[string]any{"preset": "public_chat", "room_alias_name": "crypto"})
	if cr.status != 200 {
		t.Fatalf("createRoom: %d %v", cr.status, cr.body)
	}
	p.roomID = cr.str("room_id")
	if r := call(t, p.b, "POST", v3+"/join/"+url.PathEscape("#crypto:hs-a.test"), p.bob.AccessToken, map[string]any{}); r.status != 200 {
		t.Fatalf("bob joins: %d %v", r.status, r.body)
	}
	for _, s := range []*homeserver.Server{p.a, p.b} {
		waitFor(t, func() bool {
			r := call(t, s, "GET", v3+"/rooms/"+url.PathEscape(p.roomID)+"/state/m.room.member/"+url.PathEscape(p.bob.UserID.String()), p.alice.AccessToken, nil)
			if s == p.b {
				r = call(t, s, "GET", v3+"/rooms/"+url.PathEscape(p.roomID)+"/state/m.room.member/"+url.PathEscape(p.bob.UserID.String()), p.bob.AccessToken, nil)
			}
			return r.str("membership") == "join"
		}, "bob's join on both servers")
	}
	return p
}

// uploadDeviceKeys uploads cli's device keys and n one-time keys.
func uploadDeviceKeys(t *testing.T, srv *homeserver.Server, cli *mautrix.Client, prefix string, n int) {
	t.Helper()
	otks := map[string]any{}
	for i := range n {
		otks[fmt.Sprintf("signed_curve25519:%s%02d", prefix, i)] = map[string]any{"key": fmt.Sprintf("%s-otk%02d", prefix, i)}
	}
	r := call(t, srv, "POST", v3+"/keys/upload", cli.AccessToken, map[string]any{
		"device_keys": deviceKeysFor(t, cli, newTestKey(t), "curve-"+prefix), "one_time_keys": otks})
	if r.status != 200 {
		t.Fatalf("keys upload: %d %v", r.status, r.body)
	}
}

// rawSync is one /sync of cli's device as raw JSON.
type rawSync struct {
	NextBatch string `json:"next_batch"`
	ToDevice  struct {
		Events []struct {
			Sender  string          `json:"sender"`
			Type    string          `json:"type"`
			Content json.RawMessage `json:"content"`
		} `json:"events"`
	} `json:"to_device"`
	DeviceLists struct {
		Changed []string `json:"changed"`
		Left    []string `json:"left"`
	} `json:"device_lists"`
}

func syncOnce(t *testing.T, srv *homeserver.Server, cli *mautrix.Client, since string, timeoutMS int) rawSync {
	t.Helper()
	path := v3 + "/sync"
	if since != "" {
		path += fmt.Sprintf("?timeout=%d&since=%s", timeoutMS, url.QueryEscape(since))
	}
	r := call(t, srv, "GET", path, cli.AccessToken, nil)
	if r.status != 200 {
		t.Fatalf("sync: %d %v", r.status, r.body)
	}
	raw, _ := json.Marshal(r.body)
	var out rawSync
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// waitChanged long-polls cli's /sync from since until device_lists.changed
// lists userID, and returns the token after it. A parked request must be
// woken by the change, not answer at its timeout.
func waitChanged(t *testing.T, srv *homeserver.Server, cli *mautrix.Client, since, userID, what string) string {
	t.Helper()
	for range 5 {
		start := time.Now()
		s := syncOnce(t, srv, cli, since, 10000)
		since = s.NextBatch
		if slices.Contains(s.DeviceLists.Changed, userID) {
			return since
		}
		if time.Since(start) >= 9*time.Second {
			t.Fatalf("waiting for %s: the parked /sync was not woken", what)
		}
	}
	t.Fatalf("%s: never seen", what)
	return ""
}

// Bob on B queries the keys of alice on A, claims one of her one-time
// keys and sends her device a to-device message, which her /sync
// delivers; a new device of alice's, and her cross-signing keys, reach
// bob's /sync as device-list changes and show in his next query.
func TestFederationE2EE(t *testing.T) {
	p := newE2EEPair(t)
	ctx := bg(t)
	alice := p.alice.UserID
	uploadDeviceKeys(t, p.a, p.alice, "A", 2)

	q, err := p.bob.QueryKeys(ctx, &mautrix.ReqQueryKeys{DeviceKeys: mautrix.DeviceKeysRequest{alice: {}}})
	if err != nil {
		t.Fatal(err)
	}
	dk, ok := q.DeviceKeys[alice][p.alice.DeviceID]
	if !ok || dk.Keys[id.NewDeviceKeyID(id.KeyAlgorithmCurve25519, p.alice.DeviceID)] != "curve-A" || len(q.Failures) != 0 {
		t.Fatalf("bob's query of alice: %+v failures %v", q.DeviceKeys, q.Failures)
	}

	// Each claim over federation hands out a different one-time key.
	claimed := map[string]bool{}
	for range 2 {
		c, err := p.bob.ClaimKeys(ctx, &mautrix.ReqClaimKeys{OneTimeKeys: mautrix.OneTimeKeysRequest{alice: {p.alice.DeviceID: id.KeyAlgorithmSignedCurve25519}}})
		if err != nil || len(c.Failures) != 0 {
			t.Fatalf("claim: %v failures %v", err, c.Failures)
		}
		for kid := range c.OneTimeKeys[alice][p.alice.DeviceID] {
			claimed[string(kid)] = true
		}
	}
	if !claimed["signed_curve25519:A00"] || !claimed["signed_curve25519:A01"] {
		t.Fatalf("claimed keys %v, want A00 and A01", claimed)
	}

	// A to-device message from bob reaches alice's device once, even when
	// bob's client retries the request with the same transaction ID.
	aliceSince := syncOnce(t, p.a, p.alice, "", 0).NextBatch
	msg := map[string]any{"messages": map[string]any{alice.String(): map[string]any{
		p.alice.DeviceID.String(): map[string]any{"secret": "megolm session"}}}}
	for range 2 {
		if r := call(t, p.b, "PUT", v3+"/sendToDevice/org.example.test/retried-txn", p.bob.AccessToken, msg); r.status != 200 {
			t.Fatalf("sendToDevice: %d %v", r.status, r.body)
		}
	}
	got := 0
	for range 10 {
		s := syncOnce(t, p.a, p.alice, aliceSince, 2000)
		aliceSince = s.NextBatch
		for _, e := range s.ToDevice.Events {
			if e.Sender == p.bob.UserID.String() && e.Type == "org.example.test" && string(e.Content) == `{"secret":"megolm session"}` {
				got++
			}
		}
		if got > 0 {
			break
		}
	}
	// Whatever else was on its way has arrived by the next long-poll.
	for _, e := range syncOnce(t, p.a, p.alice, aliceSince, 1500).ToDevice.Events {
		if e.Type == "org.example.test" {
			got++
		}
	}
	if got != 1 {
		t.Fatalf("alice received bob's to-device message %d times, want 1", got)
	}
	// mautrix's own send (a fresh transaction) to every device of alice's.
	if _, err := p.bob.SendToDevice(ctx, event.Type{Type: "org.example.second", Class: event.ToDeviceEventType},
		&mautrix.ReqSendToDevice{Messages: map[id.UserID]map[id.DeviceID]*event.Content{alice: {"*": {Raw: map[string]any{"n": 2}}}}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		s := syncOnce(t, p.a, p.alice, aliceSince, 2000)
		aliceSince = s.NextBatch
		for _, e := range s.ToDevice.Events {
			if e.Type == "org.example.second" && string(e.Content) == `{"n":2}` {
				return true
			}
		}
		return false
	}, "bob's second to-device message, to all of alice's devices")

	// Alice logs in a second device and uploads its keys: bob's /sync
	// lists her as changed, and his next query shows both devices.
	bobSince := syncOnce(t, p.b, p.bob, "", 0).NextBatch
	r := call(t, p.a, "POST", v3+"/login", "", map[string]any{"type": "m.login.password",
		"identifier": map[string]any{"type": "m.id.user", "user": "alice"}, "password": "password-alice", "device_id": "PHONE"})
	if r.status != 200 {
		t.Fatalf("second login: %d %v", r.status, r.body)
	}
	phone := newClient(t, p.a)
	phone.SetCredentials(alice, r.str("access_token"))
	phone.DeviceID = "PHONE"
	uploadDeviceKeys(t, p.a, phone, "P", 1)
	bobSince = waitChanged(t, p.b, p.bob, bobSince, alice.String(), "alice's new device in bob's device_lists.changed")
	waitFor(t, func() bool {
		q, err := p.bob.QueryKeys(ctx, &mautrix.ReqQueryKeys{DeviceKeys: mautrix.DeviceKeysRequest{alice: {}}})
		if err != nil {
			return false
		}
		_, phone := q.DeviceKeys[alice]["PHONE"]
		_, first := q.DeviceKeys[alice][p.alice.DeviceID]
		return phone && first
	}, "bob's query showing both of alice's devices")

	// Alice uploads cross-signing keys: bob sees the change, then the keys.
	me := alice.String()
	master, selfSigning := newTestKey(t), newTestKey(t)
	csKey := func(usage string, k testKey) map[string]any {
		return map[string]any{"user_id": me, "usage": []string{usage}, "keys": map[string]string{"ed25519:" + k.b64(): k.b64()}}
	}
	up := call(t, p.a, "POST", v3+"/keys/device_signing/upload", p.alice.AccessToken, map[string]any{
		"master_key":       csKey("master", master),
		"self_signing_key": sign(t, csKey("self_signing", selfSigning), me, "ed25519:"+master.b64(), master),
	})
	if up.status != 200 {
		t.Fatalf("cross-signing upload: %d %v", up.status, up.body)
	}
	waitChanged(t, p.b, p.bob, bobSince, alice.String(), "alice's cross-signing keys in bob's device_lists.changed")
	waitFor(t, func() bool {
		q, err := p.bob.QueryKeys(ctx, &mautrix.ReqQueryKeys{DeviceKeys: mautrix.DeviceKeysRequest{alice: {}}})
		if err != nil {
			return false
		}
		m, ss := q.MasterKeys[alice], q.SelfSigningKeys[alice]
		return m.Keys[id.NewKeyID(id.KeyAlgorithmEd25519, master.b64())] == id.Ed25519(master.b64()) &&
			ss.Keys[id.NewKeyID(id.KeyAlgorithmEd25519, selfSigning.b64())] == id.Ed25519(selfSigning.b64())
	}, "alice's master and self-signing keys in bob's query")

	// The phone is deleted: bob's cache drops it.
	del := call(t, p.a, "POST", v3+"/delete_devices", p.alice.AccessToken, map[string]any{"devices": []string{"PHONE"}})
	if del.status == 401 {
		del = call(t, p.a, "POST", v3+"/delete_devices", p.alice.AccessToken, map[string]any{"devices": []string{"PHONE"},
			"auth": map[string]any{"type": "m.login.password", "session": del.str("session"),
				"identifier": map[string]any{"type": "m.id.user", "user": "alice"}, "password": "password-alice"}})
	}
	if del.status != 200 {
		t.Fatalf("deleting the phone: %d %v", del.status, del.body)
	}
	waitFor(t, func() bool {
		q, err := p.bob.QueryKeys(ctx, &mautrix.ReqQueryKeys{DeviceKeys: mautrix.DeviceKeysRequest{alice: {}}})
		if err != nil {
			return false
		}
		_, phone := q.DeviceKeys[alice]["PHONE"]
		_, first := q.DeviceKeys[alice][p.alice.DeviceID]
		return !phone && first
	}, "bob's query without alice's deleted phone")

	// Renaming a device reaches bob's server too.
	if r := call(t, p.a, "PUT", v3+"/devices/"+url.PathEscape(p.alice.DeviceID.String()), p.alice.AccessToken,
		map[string]any{"display_name": "Alice's laptop"}); r.status != 200 {
		t.Fatalf("rename: %d %v", r.status, r.body)
	}
	waitFor(t, func() bool {
		q, err := p.bob.QueryKeys(ctx, &mautrix.ReqQueryKeys{DeviceKeys: mautrix.DeviceKeysRequest{alice: {}}})
		return err == nil && q.DeviceKeys[alice][p.alice.DeviceID].Unsigned["device_display_name"] == "Alice's laptop"
	}, "alice's new device name in bob's query")

	// GET /user/devices, as bob's server resyncs with it: the one device
	// left, its name, the cross-signing keys, and the stream_id of the
	// last of the four updates announced (two new devices, a deletion, a
	// rename), onto which the next update's prev_id chains.
	devs, err := p.b.FederationClient().GetUserDevices(ctx, "hs-a.test", alice.String())
	if err != nil {
		t.Fatal(err)
	}
	if devs.StreamID != 4 || len(devs.Devices) != 1 || devs.Devices[0].DeviceID != p.alice.DeviceID.String() ||
		devs.Devices[0].DisplayName != "Alice's laptop" || len(devs.MasterKey) == 0 || len(devs.SelfSigningKey) == 0 {
		t.Fatalf("user/devices of alice: %+v", devs)
	}
}

// A key query or claim naming a server that accepts the connection and
// never answers comes back after the request's timeout with that server
// in failures, and with the keys of the servers that did answer.
func TestFederationE2EEHangingServer(t *testing.T) {
	p := newE2EEPair(t)
	uploadDeviceKeys(t, p.a, p.alice, "A", 1)
	alice, stuck := p.alice.UserID.String(), "@zed:"+hangServer
	start := time.Now()
	q := call(t, p.b, "POST", v3+"/keys/query", p.bob.AccessToken, map[string]any{
		"device_keys": map[string]any{alice: []string{}, stuck: []string{}}, "timeout": 1500})
	took := time.Since(start)
	if q.status != 200 {
		t.Fatalf("query: %d %v", q.status, q.body)
	}
	failures, _ := q.body["failures"].(map[string]any)
	devs, _ := q.body["device_keys"].(map[string]any)
	if _, ok := failures[hangServer]; !ok || len(failures) != 1 {
		t.Fatalf("failures %v, want only %s", failures, hangServer)
	}
	if a, _ := devs[alice].(map[string]any); a[p.alice.DeviceID.String()] == nil {
		t.Fatalf("alice's keys missing beside the failure: %v", devs)
	}
	if took < 1400*time.Millisecond || took > 10*time.Second {
		t.Fatalf("query with a hanging server took %v, want about the 1.5s timeout", took)
	}

	start = time.Now()
	c := call(t, p.b, "POST", v3+"/keys/claim", p.bob.AccessToken, map[string]any{
		"one_time_keys": map[string]any{stuck: map[string]string{"DEV": "signed_curve25519"}}, "timeout": 1000})
	if f, _ := c.body["failures"].(map[string]any); c.status != 200 || f[hangServer] == nil {
		t.Fatalf("claim: %d %v", c.status, c.body)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("claim with a hanging server took %v", took)
	}
}

// Malformed or misattributed device-list and signing-key EDUs are ignored
// without failing the transaction; a well-formed update for a user no
// local user shares a room with changes nothing either.
func TestFederationE2EEBadEDUs(t *testing.T) {
	p := newE2EEPair(t)
	ctx := bg(t)
	bob := p.bob.UserID.String()
	since := syncOnce(t, p.a, p.alice, "", 0).NextBatch
	edus := []federation.EDU{
		{Type: "m.device_list_update", Content: json.RawMessage(`"not an object"`)},
		{Type: "m.device_list_update", Content: json.RawMessage(`{"user_id":"` + bob + `"}`)},
		{Type: "m.device_list_update", Content: json.RawMessage(`{"user_id":"@eve:hs-a.test","device_id":"X","stream_id":5}`)},
		{Type: "m.device_list_update", Content: json.RawMessage(`{"user_id":"` + bob + `","device_id":"X","stream_id":-1}`)},
		{Type: "m.device_list_update", Content: json.RawMessage(`{"user_id":"` + bob + `","device_id":"X","stream_id":7,"keys":{"user_id":"@other:hs-b.test","device_id":"X","keys":{"ed25519:X":"k"}}}`)},
		{Type: "m.device_list_update", Content: json.RawMessage(`{"user_id":"@stranger:hs-b.test","device_id":"X","stream_id":3}`)},
		{Type: "m.signing_key_update", Content: json.RawMessage(`{"user_id":"` + bob + `","master_key":{"user_id":"@other:hs-b.test","usage":["master"],"keys":{"ed25519:a":"a"}}}`)},
		{Type: "m.signing_key_update", Content: json.RawMessage(`[1,2,3]`)},
		{Type: "m.direct_to_device", Content: json.RawMessage(`{"sender":"@eve:elsewhere.test","type":"x","message_id":"m","messages":{}}`)},
	}
	body := federation.EncodeTransaction("hs-b.test", time.Now().UnixMilli(), nil, edus)
	res, err := p.b.FederationClient().SendTransaction(ctx, "hs-a.test", "bad-edus-1", body)
	if err != nil {
		t.Fatalf("transaction with bad EDUs: %v (%+v)", err, res)
	}
	s := syncOnce(t, p.a, p.alice, since, 500)
	if len(s.DeviceLists.Changed) != 0 || len(s.ToDevice.Events) != 0 {
		t.Fatalf("alice's sync after bad EDUs: changed %v, to-device %d", s.DeviceLists.Changed, len(s.ToDevice.Events))
	}
	// The server still answers key queries for bob normally.
	if q := call(t, p.a, "POST", v3+"/keys/query", p.alice.AccessToken, map[string]any{"device_keys": map[string]any{bob: []string{}}}); q.status != 200 {
		t.Fatalf("query after bad EDUs: %d %v", q.status, q.body)
	}
}

// When bob leaves the only room he shares with alice, alice's
// /keys/changes lists him in left.
func TestFederationE2EEKeyChangesLeft(t *testing.T) {
	p := newE2EEPair(t)
	ctx := bg(t)
	from := syncOnce(t, p.a, p.alice, "", 0).NextBatch
	if r := call(t, p.b, "POST", v3+"/rooms/"+url.PathEscape(p.roomID)+"/leave", p.bob.AccessToken, map[string]any{}); r.status != 200 {
		t.Fatalf("bob leaves: %d %v", r.status, r.body)
	}
	waitFor(t, func() bool {
		r := call(t, p.a, "GET", v3+"/rooms/"+url.PathEscape(p.roomID)+"/state/m.room.member/"+url.PathEscape(p.bob.UserID.String()), p.alice.AccessToken, nil)
		return r.str("membership") == "leave"
	}, "bob's leave on A")
	// The leave shows in state a moment before its stream position is
	// visible to /sync tokens.
	var left []id.UserID
	waitShow(t, func() bool {
		to := syncOnce(t, p.a, p.alice, "", 0).NextBatch
		c, err := p.alice.GetKeyChanges(ctx, from, to)
		if err != nil {
			t.Fatal(err)
		}
		left = c.Left
		return slices.Equal(c.Left, []id.UserID{p.bob.UserID})
	}, "bob in alice's /keys/changes left", func() string { return fmt.Sprint(left) })
	// Before the leave, nobody had left.
	c, err := p.alice.GetKeyChanges(ctx, from, from)
	if err != nil || len(c.Left) != 0 {
		t.Fatalf("left over an empty range = %v, %v", c, err)
	}
}

// toDeviceFlood is how many to-device messages the outage test sends: more
// than the 1000 EDUs a server actor keeps in memory for a destination, so
// a message shed under pressure would be missed.
const toDeviceFlood = 1200

// Bob on B sends alice on A a flood of to-device messages while A is down,
// each answered 200; B restarts before A comes back. Every message
// survives B's restart in B's to-device outbox, none is shed, and alice's
// /sync receives each exactly once when A returns.
func TestFederationToDeviceSurvivesOutageAndRestart(t *testing.T) {
	fs := fedConfigs(t, nil, nil, "hs-a.test", "hs-b.test")
	a, b := startServer(t, fs[0].cfg), startServer(t, fs[1].cfg)
	alice, bob := udUser(t, a, "alice"), udUser(t, b, "bob")
	aliceSince := syncOnce(t, a, alice, "", 0).NextBatch

	stopServer(t, a)
	sem := make(chan struct{}, 8)
	errs := make(chan string, toDeviceFlood)
	for i := range toDeviceFlood {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			msg := map[string]any{"messages": map[string]any{alice.UserID.String(): map[string]any{
				alice.DeviceID.String(): map[string]any{"n": i}}}}
			if r := call(t, b, "PUT", v3+fmt.Sprintf("/sendToDevice/org.example.flood/flood-%d", i), bob.AccessToken, msg); r.status != 200 {
				errs <- fmt.Sprintf("message %d: %d %v", i, r.status, r.body)
			}
		}()
	}
	for range cap(sem) {
		sem <- struct{}{}
	}
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	stopServer(t, b)
	b = startServer(t, fs[1].cfg)
	a = startServer(t, fs[0].cfg)
	// A reaches B (a key query of bob's), which resets B's backoff for A
	// instead of waiting out its retry delay.
	if r := call(t, a, "POST", v3+"/keys/query", alice.AccessToken, map[string]any{
		"device_keys": map[string]any{bob.UserID.String(): []string{}}}); r.status != 200 {
		t.Fatalf("alice's key query: %d %v", r.status, r.body)
	}

	seen := map[int]int{}
	total := 0
	deadline := time.Now().Add(60 * time.Second)
	for len(seen) < toDeviceFlood && time.Now().Before(deadline) {
		s := syncOnce(t, a, alice, aliceSince, 2000)
		aliceSince = s.NextBatch
		for _, e := range s.ToDevice.Events {
			var c struct {
				N int `json:"n"`
			}
			if e.Type != "org.example.flood" || e.Sender != bob.UserID.String() || json.Unmarshal(e.Content, &c) != nil {
				t.Fatalf("unexpected to-device event %+v", e)
			}
			seen[c.N]++
			total++
		}
	}
	if len(seen) != toDeviceFlood || total != toDeviceFlood {
		t.Fatalf("alice received %d distinct of %d messages (%d in all); B's outbound %+v",
			len(seen), toDeviceFlood, total, b.Servers().Stats())
	}
	if st := b.Servers().Stats(); st.ShedEDUs != 0 {
		t.Errorf("B shed %d EDUs", st.ShedEDUs)
	}
}

// A server that newly shares a room with a local user is sent the user's
// device list: alice on A uploads her keys while alone in her room (no
// server to tell), then a user of a fake server joins, and the fake
// server receives an m.device_list_update for alice's device, with its
// keys, and a stream_id chained onto the last one A announced.
func TestFederationNewServerReceivesDeviceLists(t *testing.T) {
	hub, err := fedtest.NewHub("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hub.Close() })
	peer, err := hub.AddPeer("peer.test")
	if err != nil {
		t.Fatal(err)
	}
	fs := fedConfigs(t, hub.CAPEM(), hub.Overrides(), "hs-a.test")[0]
	a := startServer(t, fs.cfg)
	alice := udUser(t, a, "alice")
	uploadDeviceKeys(t, a, alice, "A", 1)
	cr := call(t, a, "POST", v3+"/createRoom", alice.AccessToken, map[string]any{"preset": "public_chat"})
	if cr.status != 200 {
		t.Fatalf("createRoom: %d %v", cr.status, cr.body)
	}
	roots, err := federation.LoadRootCAs(fs.cert)
	if err != nil {
		t.Fatal(err)
	}
	jc := fedtest.JoinConfig{Resolver: federation.NewResolver(federation.ResolverConfig{
		Overrides: map[string]string{"hs-a.test": fs.cfg.Listeners.Federation}}), RootCAs: roots, Timeout: 10 * time.Second}
	if _, err := peer.Join(bg(t), jc, "hs-a.test", cr.str("room_id"), "@pat:peer.test"); err != nil {
		t.Fatal(err)
	}
	type update struct {
		UserID   string          `json:"user_id"`
		DeviceID string          `json:"device_id"`
		StreamID int64           `json:"stream_id"`
		PrevID   []int64         `json:"prev_id"`
		Keys     json.RawMessage `json:"keys"`
	}
	var got *update
	waitFor(t, func() bool {
		for _, txn := range peer.Transactions() {
			for _, raw := range txn.EDUs {
				var e struct {
					Type    string `json:"edu_type"`
					Content update `json:"content"`
				}
				if json.Unmarshal(raw, &e) == nil && e.Type == "m.device_list_update" && e.Content.UserID == alice.UserID.String() {
					got = &e.Content
					return true
				}
			}
		}
		return false
	}, "alice's device list at the new server")
	// Her key upload was announced as stream_id 1 (to nobody); the new
	// server's update follows it.
	if got.DeviceID != alice.DeviceID.String() || !strings.Contains(string(got.Keys), "curve-A") ||
		got.StreamID != 2 || !slices.Equal(got.PrevID, []int64{1}) {
		t.Fatalf("device-list update %+v %s", got, got.Keys)
	}
}
