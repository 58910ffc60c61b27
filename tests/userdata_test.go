package tests

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/axonhs/axon/cmd/axon/homeserver"
	"github.com/axonhs/axon/rooms/signing"
)

// udUser registers username and returns a logged-in mautrix client.
func udUser(t *testing.T, srv *homeserver.Server, username string) *mautrix.Client {
	t.Helper()
	r := registerUser(t, srv, username, "password-"+username, nil)
	cli := newClient(t, srv)
	cli.SetCredentials(id.UserID(r.str("user_id")), r.str("access_token"))
	cli.DeviceID = id.DeviceID(r.str("device_id"))
	return cli
}

// udWantErr checks that err is a Matrix error with status and errcode.
func udWantErr(t *testing.T, what string, err error, status int, code string) {
	t.Helper()
	var he mautrix.HTTPError
	if !errors.As(err, &he) || he.RespError == nil {
		t.Fatalf("%s: %v, want %d %s", what, err, status, code)
	}
	if he.Response.StatusCode != status || he.RespError.ErrCode != code {
		t.Fatalf("%s: %d %s (%s), want %d %s", what, he.Response.StatusCode, he.RespError.ErrCode, he.RespError.Err, status, code)
	}
}

func wantReply(t *testing.T, what string, r reply, status int, code string) {
	t.Helper()
	if r.status != status || r.errcode() != code {
		t.Fatalf("%s: %d %v, want %d %s", what, r.status, r.body, status, code)
	}
}

const v3 = "/_matrix/client/v3"

func TestAccountDataTagsAndIgnoredUsers(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice, bob := udUser(t, srv, "alice"), udUser(t, srv, "bob")
	room := id.RoomID("!somewhere:localhost")

	if err := alice.SetAccountData(ctx, "org.example.settings", map[string]any{"theme": "dark"}); err != nil {
		t.Fatal(err)
	}
	if err := alice.SetRoomAccountData(ctx, room, "org.example.draft", map[string]any{"text": "hi"}); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := alice.GetAccountData(ctx, "org.example.settings", &got); err != nil || got["theme"] != "dark" {
		t.Fatalf("global account data = %v, %v", got, err)
	}
	if err := alice.GetRoomAccountData(ctx, room, "org.example.draft", &got); err != nil || got["text"] != "hi" {
		t.Fatalf("room account data = %v, %v", got, err)
	}
	// Room data is not global data, and bob has none of alice's.
	udWantErr(t, "room type read globally", alice.GetAccountData(ctx, "org.example.draft", &got), 404, "M_NOT_FOUND")
	udWantErr(t, "bob's own", bob.GetAccountData(ctx, "org.example.settings", &got), 404, "M_NOT_FOUND")

	aliceID := url.PathEscape(alice.UserID.String())
	wantReply(t, "bob reads alice's", call(t, srv, "GET", v3+"/user/"+aliceID+"/account_data/org.example.settings", bob.AccessToken, nil), 403, "M_FORBIDDEN")
	wantReply(t, "bob writes alice's", call(t, srv, "PUT", v3+"/user/"+aliceID+"/account_data/x", bob.AccessToken, map[string]any{}), 403, "M_FORBIDDEN")
	wantReply(t, "bob reads alice's room data", call(t, srv, "GET", v3+"/user/"+aliceID+"/rooms/"+url.PathEscape(room.String())+"/account_data/org.example.draft", bob.AccessToken, nil), 403, "M_FORBIDDEN")
	wantReply(t, "m.fully_read", call(t, srv, "PUT", v3+"/user/"+aliceID+"/rooms/"+url.PathEscape(room.String())+"/account_data/m.fully_read", alice.AccessToken, map[string]any{"event_id": "$x"}), 405, "M_BAD_JSON")
	wantReply(t, "m.push_rules", call(t, srv, "PUT", v3+"/user/"+aliceID+"/account_data/m.push_rules", alice.AccessToken, map[string]any{}), 405, "M_BAD_JSON")
	wantReply(t, "array content", call(t, srv, "PUT", v3+"/user/"+aliceID+"/account_data/x", alice.AccessToken, "[1]"), 400, "M_BAD_JSON")
	wantReply(t, "not JSON", call(t, srv, "PUT", v3+"/user/"+aliceID+"/account_data/x", alice.AccessToken, "{"), 400, "M_NOT_JSON")
	wantReply(t, "bad room ID", call(t, srv, "PUT", v3+"/user/"+aliceID+"/rooms/nope/account_data/x", alice.AccessToken, map[string]any{}), 400, "M_INVALID_PARAM")

	// Tags are m.tag room account data.
	if err := alice.AddTag(ctx, room, event.RoomTagFavourite, 0.25); err != nil {
		t.Fatal(err)
	}
	if err := alice.AddTag(ctx, room, "u.work", 0.5); err != nil {
		t.Fatal(err)
	}
	tags, err := alice.GetTags(ctx, room)
	if order, _ := tags.Tags[event.RoomTagFavourite].Order.Float64(); err != nil || len(tags.Tags) != 2 || order != 0.25 {
		t.Fatalf("tags = %+v, %v", tags, err)
	}
	if err := alice.RemoveTag(ctx, room, "u.work"); err != nil {
		t.Fatal(err)
	}
	var tagData map[string]map[string]any
	if err := alice.GetRoomAccountData(ctx, room, "m.tag", &tagData); err != nil || len(tagData["tags"]) != 1 {
		t.Fatalf("m.tag after removal = %v, %v", tagData, err)
	}
	wantReply(t, "bob reads alice's tags", call(t, srv, "GET", v3+"/user/"+aliceID+"/rooms/"+url.PathEscape(room.String())+"/tags", bob.AccessToken, nil), 403, "M_FORBIDDEN")
	wantReply(t, "tag order not a number", call(t, srv, "PUT", v3+"/user/"+aliceID+"/rooms/"+url.PathEscape(room.String())+"/tags/u.x", alice.AccessToken, map[string]any{"order": "first"}), 400, "M_BAD_JSON")

	// m.ignored_user_list is validated.
	if err := alice.SetAccountData(ctx, "m.ignored_user_list", map[string]any{"ignored_users": map[string]any{"@spam:example.org": map[string]any{}}}); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{
		"not a user ID":    `{"ignored_users":{"spam":{}}}`,
		"value not object": `{"ignored_users":{"@spam:example.org":true}}`,
		"missing":          `{}`,
		"list":             `{"ignored_users":["@spam:example.org"]}`,
		"self":             `{"ignored_users":{"@alice:localhost":{}}}`,
	} {
		r := call(t, srv, "PUT", v3+"/user/"+aliceID+"/account_data/m.ignored_user_list", alice.AccessToken, body)
		if r.status != 400 || (r.errcode() != "M_BAD_JSON" && r.errcode() != "M_INVALID_PARAM") {
			t.Errorf("ignored users %s: %d %v", name, r.status, r.body)
		}
	}
}

func TestFiltersBelongToTheirUser(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice, bob := udUser(t, srv, "alice"), udUser(t, srv, "bob")
	limit := 7
	resp, err := alice.CreateFilter(ctx, &mautrix.Filter{Room: &mautrix.RoomFilter{Timeline: &mautrix.FilterPart{Limit: limit, Types: []event.Type{event.EventMessage}}}})
	if err != nil || resp.FilterID == "" {
		t.Fatalf("create filter = %+v, %v", resp, err)
	}
	aliceID := url.PathEscape(alice.UserID.String())
	got := call(t, srv, "GET", v3+"/user/"+aliceID+"/filter/"+resp.FilterID, alice.AccessToken, nil)
	if got.status != 200 {
		t.Fatalf("get own filter: %d %v", got.status, got.body)
	}
	timeline := got.body["room"].(map[string]any)["timeline"].(map[string]any)
	if timeline["limit"] != float64(limit) {
		t.Fatalf("stored filter = %v", got.body)
	}
	wantReply(t, "bob reads alice's filter via alice's path", call(t, srv, "GET", v3+"/user/"+aliceID+"/filter/"+resp.FilterID, bob.AccessToken, nil), 403, "M_FORBIDDEN")
	bobID := url.PathEscape(bob.UserID.String())
	wantReply(t, "bob reads alice's filter ID as his", call(t, srv, "GET", v3+"/user/"+bobID+"/filter/"+resp.FilterID, bob.AccessToken, nil), 404, "M_NOT_FOUND")
	wantReply(t, "bob creates a filter for alice", call(t, srv, "POST", v3+"/user/"+aliceID+"/filter", bob.AccessToken, map[string]any{}), 403, "M_FORBIDDEN")
	wantReply(t, "unknown ID", call(t, srv, "GET", v3+"/user/"+aliceID+"/filter/999", alice.AccessToken, nil), 404, "M_NOT_FOUND")
	wantReply(t, "non-numeric ID", call(t, srv, "GET", v3+"/user/"+aliceID+"/filter/abc", alice.AccessToken, nil), 404, "M_NOT_FOUND")
	for name, tc := range map[string]struct{ body, code string }{
		"types not a list":     {`{"room":{"timeline":{"types":"m.room.message"}}}`, "M_BAD_JSON"},
		"limit a string":       {`{"room":{"timeline":{"limit":"10"}}}`, "M_BAD_JSON"},
		"negative limit":       {`{"room":{"timeline":{"limit":-5}}}`, "M_INVALID_PARAM"},
		"unknown event_format": {`{"event_format":"xml"}`, "M_INVALID_PARAM"},
		"array":                {`[]`, "M_BAD_JSON"},
		"not JSON":             {`{"room":`, "M_NOT_JSON"},
	} {
		r := call(t, srv, "POST", v3+"/user/"+aliceID+"/filter", alice.AccessToken, tc.body)
		if r.status != 400 || r.errcode() != tc.code {
			t.Errorf("%s: %d %v, want 400 %s", name, r.status, r.body, tc.code)
		}
	}
}

func TestProfilesAndDirectory(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice, bob := udUser(t, srv, "alice"), udUser(t, srv, "bob")
	if err := alice.SetDisplayName(ctx, "Alice Liddell"); err != nil {
		t.Fatal(err)
	}
	avatar := id.ContentURI{Homeserver: "localhost", FileID: "abcDEF_12-3"}
	if err := alice.SetAvatarURL(ctx, avatar); err != nil {
		t.Fatal(err)
	}
	p, err := bob.GetProfile(ctx, alice.UserID)
	if err != nil || p.DisplayName != "Alice Liddell" || p.AvatarURL != avatar {
		t.Fatalf("alice's profile as bob sees it = %+v, %v", p, err)
	}
	dn, err := bob.GetDisplayName(ctx, alice.UserID)
	if err != nil || dn.DisplayName != "Alice Liddell" {
		t.Fatalf("displayname = %+v, %v", dn, err)
	}
	aliceID := url.PathEscape(alice.UserID.String())
	wantReply(t, "bob renames alice", call(t, srv, "PUT", v3+"/profile/"+aliceID+"/displayname", bob.AccessToken, map[string]any{"displayname": "Mallory"}), 403, "M_FORBIDDEN")
	wantReply(t, "avatar not mxc", call(t, srv, "PUT", v3+"/profile/"+aliceID+"/avatar_url", alice.AccessToken, map[string]any{"avatar_url": "https://example.org/a.png"}), 400, "M_INVALID_PARAM")
	wantReply(t, "avatar mxc without media", call(t, srv, "PUT", v3+"/profile/"+aliceID+"/avatar_url", alice.AccessToken, map[string]any{"avatar_url": "mxc://localhost/"}), 400, "M_INVALID_PARAM")
	wantReply(t, "displayname not a string", call(t, srv, "PUT", v3+"/profile/"+aliceID+"/displayname", alice.AccessToken, map[string]any{"displayname": 5}), 400, "M_BAD_JSON")
	wantReply(t, "unknown user", call(t, srv, "GET", v3+"/profile/"+url.PathEscape("@nobody:localhost"), "", nil), 404, "M_NOT_FOUND")
	wantReply(t, "malformed user", call(t, srv, "GET", v3+"/profile/nobody", "", nil), 400, "M_INVALID_PARAM")
	if r := call(t, srv, "PUT", v3+"/profile/"+aliceID+"/avatar_url", alice.AccessToken, map[string]any{"avatar_url": ""}); r.status != 200 {
		t.Fatalf("clearing avatar: %d %v", r.status, r.body)
	}
	if p, _ := bob.GetProfile(ctx, alice.UserID); !p.AvatarURL.IsEmpty() || p.DisplayName != "Alice Liddell" {
		t.Fatalf("after clearing avatar: %+v", p)
	}
	// The directory shows users who share a room with the searcher or are
	// in a published room; the field is display_name (user_directory.yaml).
	search := func(cli *mautrix.Client, term string, limit int) reply {
		t.Helper()
		return call(t, srv, "POST", v3+"/user_directory/search", cli.AccessToken, map[string]any{"search_term": term, "limit": limit})
	}
	if r := search(bob, "liddell", 10); len(r.body["results"].([]any)) != 0 {
		t.Fatalf("bob finds alice before sharing a room: %v", r.body)
	}
	private, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "private_chat", Invite: []id.UserID{bob.UserID}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.JoinRoomByID(ctx, private.RoomID); err != nil {
		t.Fatal(err)
	}
	found := search(bob, "liddell", 10)
	results, _ := found.body["results"].([]any)
	if found.status != 200 || len(results) != 1 || results[0].(map[string]any)["user_id"] != alice.UserID.String() ||
		results[0].(map[string]any)["display_name"] != "Alice Liddell" || found.body["limited"] != false {
		t.Fatalf("directory search = %d %v", found.status, found.body)
	}
	if all := search(bob, "", 1); all.body["limited"] != true || len(all.body["results"].([]any)) != 1 {
		t.Fatalf("limit 1 over two visible users = %v", all.body)
	}
	carol := udUser(t, srv, "carol")
	if r := search(carol, "alice", 10); len(r.body["results"].([]any)) != 0 {
		t.Fatalf("carol finds alice without a shared or public room: %v", r.body)
	}
	if _, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "public_chat", Visibility: "public"}); err != nil {
		t.Fatal(err)
	}
	if r := search(carol, "alice", 10); len(r.body["results"].([]any)) != 1 {
		t.Fatalf("carol does not find alice in a published room: %v", r.body)
	}
	wantReply(t, "search without term", call(t, srv, "POST", v3+"/user_directory/search", bob.AccessToken, map[string]any{}), 400, "M_MISSING_PARAM")
}

// ed25519 helpers for hand-made E2EE keys.
type testKey struct {
	pub  ed25519.PublicKey
	priv ed25519.PrivateKey
}

func newTestKey(t *testing.T) testKey {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return testKey{pub, priv}
}

func (k testKey) b64() string { return base64.RawStdEncoding.EncodeToString(k.pub) }

// sign adds signer's signature by keyID to object (a JSON object).
func sign(t *testing.T, object map[string]any, signer, keyID string, k testKey) map[string]any {
	t.Helper()
	raw, _ := json.Marshal(object)
	msg, err := signing.SigningBytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	sigs, _ := object["signatures"].(map[string]any)
	if sigs == nil {
		sigs = map[string]any{}
	}
	mine, _ := sigs[signer].(map[string]any)
	if mine == nil {
		mine = map[string]any{}
	}
	mine[keyID] = base64.RawStdEncoding.EncodeToString(ed25519.Sign(k.priv, msg))
	sigs[signer] = mine
	object["signatures"] = sigs
	return object
}

func deviceKeysFor(t *testing.T, cli *mautrix.Client, k testKey, curve string) map[string]any {
	dk := map[string]any{
		"user_id": cli.UserID, "device_id": cli.DeviceID,
		"algorithms": []string{"m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"},
		"keys":       map[string]string{"curve25519:" + cli.DeviceID.String(): curve, "ed25519:" + cli.DeviceID.String(): k.b64()},
	}
	return sign(t, dk, cli.UserID.String(), "ed25519:"+cli.DeviceID.String(), k)
}

func TestKeysUploadQueryClaimAndChanges(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice, bob, carol := udUser(t, srv, "alice"), udUser(t, srv, "bob"), udUser(t, srv, "carol")
	devKey := newTestKey(t)
	const nKeys = 12
	otks := map[string]any{}
	for i := range nKeys {
		otks[fmt.Sprintf("signed_curve25519:AAAA%02d", i)] = map[string]any{"key": fmt.Sprintf("otk%02d", i)}
	}
	up := call(t, srv, "POST", v3+"/keys/upload", alice.AccessToken, map[string]any{
		"device_keys": deviceKeysFor(t, alice, devKey, "curveA"), "one_time_keys": otks,
		"fallback_keys": map[string]any{"signed_curve25519:FB": map[string]any{"key": "fb", "fallback": true}},
	})
	if up.status != 200 || up.body["one_time_key_counts"].(map[string]any)["signed_curve25519"] != float64(nKeys) {
		t.Fatalf("upload: %d %v", up.status, up.body)
	}
	// The same device keys again are fine; changed ones are refused.
	if r := call(t, srv, "POST", v3+"/keys/upload", alice.AccessToken, map[string]any{"device_keys": deviceKeysFor(t, alice, devKey, "curveA")}); r.status != 200 {
		t.Fatalf("identical re-upload: %d %v", r.status, r.body)
	}
	wantReply(t, "changed device key", call(t, srv, "POST", v3+"/keys/upload", alice.AccessToken, map[string]any{"device_keys": deviceKeysFor(t, alice, devKey, "curveB")}), 400, "M_INVALID_PARAM")
	wantReply(t, "keys for another device", call(t, srv, "POST", v3+"/keys/upload", bob.AccessToken, map[string]any{"device_keys": deviceKeysFor(t, alice, devKey, "curveA")}), 400, "M_INVALID_PARAM")
	wantReply(t, "bad one-time key ID", call(t, srv, "POST", v3+"/keys/upload", alice.AccessToken, map[string]any{"one_time_keys": map[string]any{"nocolon": "k"}}), 400, "M_INVALID_PARAM")
	wantReply(t, "device_keys a string", call(t, srv, "POST", v3+"/keys/upload", alice.AccessToken, map[string]any{"device_keys": "x"}), 400, "M_BAD_JSON")

	q, err := bob.QueryKeys(ctx, &mautrix.ReqQueryKeys{DeviceKeys: mautrix.DeviceKeysRequest{alice.UserID: {}, "@x:remote.example": {}}})
	if err != nil {
		t.Fatal(err)
	}
	dk, ok := q.DeviceKeys[alice.UserID][alice.DeviceID]
	if !ok || dk.Keys["curve25519:"+id.DeviceKeyID(alice.DeviceID)] != "curveA" {
		t.Fatalf("query = %+v", q.DeviceKeys)
	}
	if _, ok := q.Failures["remote.example"]; !ok {
		t.Fatalf("remote user not in failures: %v", q.Failures)
	}

	// Concurrent claims over HTTP: every one-time key goes out exactly
	// once; the rest get the fallback key.
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	claimers := []*mautrix.Client{bob, carol}
	for i := range 2 * nKeys {
		wg.Add(1)
		go func(cli *mautrix.Client) {
			defer wg.Done()
			r, err := cli.ClaimKeys(ctx, &mautrix.ReqClaimKeys{OneTimeKeys: mautrix.OneTimeKeysRequest{alice.UserID: {alice.DeviceID: id.KeyAlgorithmSignedCurve25519}}})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for kid := range r.OneTimeKeys[alice.UserID][alice.DeviceID] {
				seen[string(kid)]++
			}
		}(claimers[i%2])
	}
	wg.Wait()
	for i := range nKeys {
		if n := seen[fmt.Sprintf("signed_curve25519:AAAA%02d", i)]; n != 1 {
			t.Errorf("one-time key %d claimed %d times", i, n)
		}
	}
	if seen["signed_curve25519:FB"] != nKeys {
		t.Errorf("fallback key handed out %d times, want %d", seen["signed_curve25519:FB"], nKeys)
	}
	// Claims for unknown users and devices give nothing, not an error.
	r, err := bob.ClaimKeys(ctx, &mautrix.ReqClaimKeys{OneTimeKeys: mautrix.OneTimeKeysRequest{"@nobody:localhost": {"D": id.KeyAlgorithmSignedCurve25519}, alice.UserID: {"NODEVICE": id.KeyAlgorithmSignedCurve25519}}})
	if err != nil || len(r.OneTimeKeys) != 0 {
		t.Fatalf("claim for unknown = %+v, %v", r, err)
	}

	// Device-list changes: alice sees her own change; carol, who shares no
	// room with alice, does not; bob does once he shares a room.
	changes := func(cli *mautrix.Client) []id.UserID {
		t.Helper()
		c, err := cli.GetKeyChanges(ctx, "0", strconv.FormatUint(1<<62, 10))
		if err != nil {
			t.Fatal(err)
		}
		return c.Changed
	}
	// Every user sees their own changes (new devices, keys).
	if c := changes(alice); len(c) != 1 || c[0] != alice.UserID {
		t.Fatalf("alice's changes = %v", c)
	}
	if c := changes(carol); len(c) != 1 || c[0] != carol.UserID {
		t.Fatalf("carol, sharing no room, sees %v", c)
	}
	created, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "public_chat"})
	if err != nil {
		r := call(t, srv, "POST", v3+"/createRoom", alice.AccessToken, map[string]any{})
		t.Fatalf("%v; raw %d %v", err, r.status, r.body)
	}
	if _, err := bob.JoinRoomByID(ctx, created.RoomID); err != nil {
		t.Fatal(err)
	}
	if c := changes(bob); len(c) != 2 || c[0] != alice.UserID || c[1] != bob.UserID {
		t.Fatalf("bob, sharing a room with alice only, sees %v", c)
	}
	wantReply(t, "malformed from", call(t, srv, "GET", v3+"/keys/changes?from=s_x&to=5", alice.AccessToken, nil), 400, "M_INVALID_PARAM")
	wantReply(t, "missing to", call(t, srv, "GET", v3+"/keys/changes?from=0", alice.AccessToken, nil), 400, "M_MISSING_PARAM")
}

func TestCrossSigningAndSignatures(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice, bob := udUser(t, srv, "alice"), udUser(t, srv, "bob")
	devKey := newTestKey(t)
	if r := call(t, srv, "POST", v3+"/keys/upload", alice.AccessToken, map[string]any{"device_keys": deviceKeysFor(t, alice, devKey, "c")}); r.status != 200 {
		t.Fatalf("upload: %d %v", r.status, r.body)
	}
	me := alice.UserID.String()
	master, selfSigning, userSigning := newTestKey(t), newTestKey(t), newTestKey(t)
	csKey := func(usage string, k testKey) map[string]any {
		return map[string]any{"user_id": me, "usage": []string{usage}, "keys": map[string]string{"ed25519:" + k.b64(): k.b64()}}
	}
	upload := func(m, s, u testKey, auth any) reply {
		body := map[string]any{
			"master_key":       csKey("master", m),
			"self_signing_key": sign(t, csKey("self_signing", s), me, "ed25519:"+m.b64(), m),
			"user_signing_key": sign(t, csKey("user_signing", u), me, "ed25519:"+m.b64(), m),
		}
		if auth != nil {
			body["auth"] = auth
		}
		return call(t, srv, "POST", v3+"/keys/device_signing/upload", alice.AccessToken, body)
	}
	// First upload: no interactive authentication.
	if r := upload(master, selfSigning, userSigning, nil); r.status != 200 {
		t.Fatalf("first upload: %d %v", r.status, r.body)
	}
	// Re-uploading the same keys changes nothing and needs none either.
	if r := upload(master, selfSigning, userSigning, nil); r.status != 200 {
		t.Fatalf("identical upload: %d %v", r.status, r.body)
	}
	// A self-signing key the master did not sign is refused.
	bad := call(t, srv, "POST", v3+"/keys/device_signing/upload", alice.AccessToken, map[string]any{"self_signing_key": sign(t, csKey("self_signing", newTestKey(t)), me, "ed25519:"+master.b64(), newTestKey(t))})
	wantReply(t, "unsigned self-signing key", bad, 400, "M_INVALID_PARAM")
	// Replacing needs the password.
	master2 := newTestKey(t)
	first := upload(master2, selfSigning, userSigning, nil)
	if first.status != 401 || first.str("session") == "" {
		t.Fatalf("replacement without auth: %d %v", first.status, first.body)
	}
	wrong := upload(master2, selfSigning, userSigning, map[string]any{"type": "m.login.password", "session": first.str("session"),
		"identifier": map[string]any{"type": "m.id.user", "user": "alice"}, "password": "wrong"})
	if wrong.status != 401 || wrong.errcode() != "M_FORBIDDEN" {
		t.Fatalf("replacement with a wrong password: %d %v", wrong.status, wrong.body)
	}
	ok := upload(master2, selfSigning, userSigning, map[string]any{"type": "m.login.password", "session": first.str("session"),
		"identifier": map[string]any{"type": "m.id.user", "user": "alice"}, "password": "password-alice"})
	if ok.status != 200 {
		t.Fatalf("replacement with password: %d %v", ok.status, ok.body)
	}
	q, err := alice.QueryKeys(ctx, &mautrix.ReqQueryKeys{DeviceKeys: mautrix.DeviceKeysRequest{alice.UserID: {}}})
	if err != nil {
		t.Fatal(err)
	}
	mk := q.MasterKeys[alice.UserID]
	if mk.FirstKey().String() != master2.b64() || len(q.UserSigningKeys) != 1 {
		t.Fatalf("query after replacement: master %+v user-signing %+v", q.MasterKeys, q.UserSigningKeys)
	}
	if qb, _ := bob.QueryKeys(ctx, &mautrix.ReqQueryKeys{DeviceKeys: mautrix.DeviceKeysRequest{alice.UserID: {}}}); len(qb.UserSigningKeys) != 0 || len(qb.SelfSigningKeys) != 1 {
		t.Fatalf("bob sees alice's user-signing key or misses her self-signing key: %+v", qb)
	}

	// The self-signing key signs the device; the signature is stored.
	devObj := deviceKeysFor(t, alice, devKey, "c")
	sigKeyID := "ed25519:" + selfSigning.b64()
	signed := sign(t, devObj, me, sigKeyID, selfSigning)
	forged := sign(t, deviceKeysFor(t, alice, devKey, "c"), me, sigKeyID, newTestKey(t))
	res := call(t, srv, "POST", v3+"/keys/signatures/upload", alice.AccessToken, map[string]any{me: map[string]any{alice.DeviceID.String(): signed}})
	if res.status != 200 || len(res.body["failures"].(map[string]any)) != 0 {
		t.Fatalf("signature upload: %d %v", res.status, res.body)
	}
	q, _ = bob.QueryKeys(ctx, &mautrix.ReqQueryKeys{DeviceKeys: mautrix.DeviceKeysRequest{alice.UserID: {alice.DeviceID}}})
	if sig := q.DeviceKeys[alice.UserID][alice.DeviceID].Signatures[alice.UserID][id.KeyID(sigKeyID)]; sig == "" {
		t.Fatalf("device signature not stored: %+v", q.DeviceKeys[alice.UserID][alice.DeviceID].Signatures)
	}
	res = call(t, srv, "POST", v3+"/keys/signatures/upload", alice.AccessToken, map[string]any{
		me:                  map[string]any{alice.DeviceID.String(): forged, "NOSUCHKEY": map[string]any{}},
		"@x:remote.example": map[string]any{"K": map[string]any{}},
	})
	fails := res.body["failures"].(map[string]any)
	if res.status != 200 || len(fails[me].(map[string]any)) != 2 || fails["@x:remote.example"] == nil {
		t.Fatalf("bad signatures: %d %v", res.status, res.body)
	}
	if code := fails[me].(map[string]any)[alice.DeviceID.String()].(map[string]any)["errcode"]; code != "M_INVALID_SIGNATURE" {
		t.Fatalf("forged signature: %v", code)
	}
}

func TestToDeviceAndStartupEndpoints(t *testing.T) {
	cfg := testConfig(t, tempDir(t))
	cfg.TurnURIs = []string{"turn:turn.example.org:3478?transport=udp"}
	cfg.TurnSharedSecret = "turn-secret"
	srv := startServer(t, cfg)
	ctx := bg(t)
	alice, bob := udUser(t, srv, "alice"), udUser(t, srv, "bob")

	msg := &mautrix.ReqSendToDevice{Messages: map[id.UserID]map[id.DeviceID]*event.Content{
		bob.UserID:          {bob.DeviceID: {Raw: map[string]any{"secret": 1}}, "*": {Raw: map[string]any{"all": true}}},
		"@nobody:localhost": {"D": {Raw: map[string]any{}}},
		"@x:remote.example": {"D": {Raw: map[string]any{}}},
	}}
	for range 2 { // same transaction ID twice: idempotent
		if _, err := alice.SendToDevice(ctx, event.ToDeviceRoomKeyRequest, msg); err != nil {
			t.Fatal(err)
		}
	}
	wantReply(t, "messages missing", call(t, srv, "PUT", v3+"/sendToDevice/m.test/t1", alice.AccessToken, map[string]any{}), 400, "M_MISSING_PARAM")
	wantReply(t, "message not an object", call(t, srv, "PUT", v3+"/sendToDevice/m.test/t2", alice.AccessToken, map[string]any{"messages": map[string]any{"@bob:localhost": map[string]any{"D": 5}}}), 400, "M_BAD_JSON")
	wantReply(t, "bad user ID", call(t, srv, "PUT", v3+"/sendToDevice/m.test/t3", alice.AccessToken, map[string]any{"messages": map[string]any{"bob": map[string]any{"D": map[string]any{}}}}), 400, "M_INVALID_PARAM")

	// TURN credentials: "expiry:user" with an HMAC-SHA1 password.
	turn, err := alice.TurnServer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	expiry, user, _ := strings.Cut(turn.Username, ":")
	exp, _ := strconv.ParseInt(expiry, 10, 64)
	mac := hmac.New(sha1.New, []byte("turn-secret"))
	mac.Write([]byte(turn.Username))
	if user != alice.UserID.String() || exp < time.Now().Unix() || turn.Password != base64.StdEncoding.EncodeToString(mac.Sum(nil)) ||
		len(turn.URIs) != 1 || turn.TTL != 86400 {
		t.Fatalf("turn = %+v", turn)
	}

	if r := call(t, srv, "GET", v3+"/thirdparty/protocols", alice.AccessToken, nil); r.status != 200 || len(r.body) != 0 {
		t.Fatalf("thirdparty/protocols: %d %v", r.status, r.body)
	}
	_, err = alice.GetKeyBackupLatestVersion(ctx)
	udWantErr(t, "room_keys/version", err, 404, "M_NOT_FOUND")
	wantReply(t, "room_keys/keys", call(t, srv, "GET", v3+"/room_keys/keys?version=1", alice.AccessToken, nil), 404, "M_NOT_FOUND")

	rules, err := alice.GetPushRules(ctx)
	if err != nil || rules.Override == nil || rules.Underride == nil {
		t.Fatalf("push rules = %+v, %v", rules, err)
	}
	raw := call(t, srv, "GET", v3+"/pushrules/", alice.AccessToken, nil)
	overrides := raw.body["global"].(map[string]any)["override"].([]any)
	if len(overrides) != 10 || overrides[0].(map[string]any)["rule_id"] != ".m.rule.master" {
		t.Fatalf("override rules = %v", overrides)
	}
	wantReply(t, "enable a rule", call(t, srv, "PUT", v3+"/pushrules/global/override/.m.rule.master/enabled", alice.AccessToken, map[string]any{"enabled": true}), 400, "M_UNKNOWN")
	wantReply(t, "create a rule", call(t, srv, "PUT", v3+"/pushrules/global/content/mine", alice.AccessToken, map[string]any{"pattern": "x", "actions": []string{"notify"}}), 400, "M_UNKNOWN")
	wantReply(t, "enable an unknown rule", call(t, srv, "PUT", v3+"/pushrules/global/content/nope/enabled", alice.AccessToken, map[string]any{"enabled": true}), 404, "M_NOT_FOUND")
	wantReply(t, "unknown rule", call(t, srv, "GET", v3+"/pushrules/global/override/nope", alice.AccessToken, nil), 404, "M_NOT_FOUND")
	wantReply(t, "delete unknown rule", call(t, srv, "DELETE", v3+"/pushrules/global/content/nope", alice.AccessToken, nil), 404, "M_NOT_FOUND")
	wantReply(t, "unknown kind", call(t, srv, "GET", v3+"/pushrules/global/sideways/x", alice.AccessToken, nil), 400, "M_INVALID_PARAM")
}

// Bad input on every endpoint of this file's area gets a Matrix error,
// never a 500.
func TestUserDataBadInputNever500(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	alice := udUser(t, srv, "alice")
	me := url.PathEscape(alice.UserID.String())
	bodies := []any{"{", "[]", `"x"`, "null", `{"device_keys":[],"one_time_keys":5}`, `{"messages":{"@a:b":[]}}`,
		`{"one_time_keys":{"@a:b":{"D":5}}}`, `{"device_keys":{"@a:b":"x"}}`, `{"master_key":5}`, `{"@alice:localhost":{"D":5}}`, strings.Repeat("[", 5000)}
	paths := []struct{ method, path string }{
		{"POST", "/keys/upload"}, {"POST", "/keys/query"}, {"POST", "/keys/claim"}, {"POST", "/keys/device_signing/upload"},
		{"POST", "/keys/signatures/upload"}, {"PUT", "/sendToDevice/m.x/1"}, {"POST", "/user/" + me + "/filter"},
		{"PUT", "/user/" + me + "/account_data/x"}, {"PUT", "/user/" + me + "/rooms/!r:localhost/tags/t"},
		{"PUT", "/profile/" + me + "/displayname"}, {"POST", "/user_directory/search"},
	}
	for _, p := range paths {
		for i, b := range bodies {
			r := call(t, srv, p.method, v3+p.path, alice.AccessToken, b)
			if r.status >= 500 || (r.status >= 400 && r.errcode() == "") {
				t.Errorf("%s %s body %d: %d %v", p.method, p.path, i, r.status, r.body)
			}
		}
	}
	for _, q := range []string{"from=&to=", "from=-1&to=2", "from=1&to=" + strings.Repeat("9", 40), "from=%zz&to=1"} {
		r := call(t, srv, "GET", v3+"/keys/changes?"+q, alice.AccessToken, nil)
		if r.status != 400 {
			t.Errorf("keys/changes?%s: %d %v", q, r.status, r.body)
		}
	}
}

// Guests reach what the spec's "Guest access" lists here: to-device, the
// key endpoints and their own display name; not other profile fields,
// account data or filters.
func TestGuestUserData(t *testing.T) {
	cfg := testConfig(t, tempDir(t))
	cfg.AllowGuestAccess = true
	srv := startServer(t, cfg)
	g := call(t, srv, "POST", v3+"/register?kind=guest", "", map[string]any{})
	tok, uid := g.str("access_token"), url.PathEscape(g.str("user_id"))
	for _, ok := range []struct{ method, path string }{
		{"PUT", "/sendToDevice/m.test/1"}, {"POST", "/keys/upload"}, {"POST", "/keys/query"}, {"POST", "/keys/claim"},
		{"PUT", "/profile/" + uid + "/displayname"}, {"DELETE", "/profile/" + uid + "/displayname"},
	} {
		body := map[string]any{"messages": map[string]any{}, "device_keys": map[string]any{}, "one_time_keys": map[string]any{}, "displayname": "guest"}
		if ok.path == "/keys/upload" {
			body = map[string]any{}
		}
		if r := call(t, srv, ok.method, v3+ok.path, tok, body); r.status != 200 {
			t.Errorf("guest %s %s: %d %v", ok.method, ok.path, r.status, r.body)
		}
	}
	for _, no := range []struct{ method, path string }{
		{"PUT", "/profile/" + uid + "/avatar_url"}, {"PUT", "/user/" + uid + "/account_data/x"}, {"POST", "/user/" + uid + "/filter"},
		{"GET", "/voip/turnServer"},
	} {
		r := call(t, srv, no.method, v3+no.path, tok, map[string]any{"avatar_url": "mxc://localhost/a"})
		wantReply(t, "guest "+no.method+" "+no.path, r, 403, "M_GUEST_ACCESS_FORBIDDEN")
	}
}

func TestDeleteProfileFieldAndUnstablePrefix(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice := udUser(t, srv, "alice")
	if err := alice.SetDisplayName(ctx, "Alice"); err != nil {
		t.Fatal(err)
	}
	me := url.PathEscape(alice.UserID.String())
	if r := call(t, srv, "DELETE", v3+"/profile/"+me+"/displayname", alice.AccessToken, nil); r.status != 200 {
		t.Fatalf("delete displayname: %d %v", r.status, r.body)
	}
	if r := call(t, srv, "GET", v3+"/profile/"+me, "", nil); r.status != 200 || r.body["displayname"] != nil {
		t.Fatalf("profile after delete: %d %v", r.status, r.body)
	}
	// Older clients call some of these under /unstable and /r0.
	for _, prefix := range []string{"/_matrix/client/unstable", "/_matrix/client/r0"} {
		if r := call(t, srv, "GET", prefix+"/room_keys/version", alice.AccessToken, nil); r.status != 404 || r.errcode() != "M_NOT_FOUND" {
			t.Errorf("%s/room_keys/version: %d %v", prefix, r.status, r.body)
		}
		if r := call(t, srv, "POST", prefix+"/keys/query", alice.AccessToken, map[string]any{"device_keys": map[string]any{}}); r.status != 200 {
			t.Errorf("%s/keys/query: %d %v", prefix, r.status, r.body)
		}
	}
}
