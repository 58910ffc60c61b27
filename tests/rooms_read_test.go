package tests

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/axonhs/axon/actors"
	"github.com/axonhs/axon/actors/room"
	"github.com/axonhs/axon/cmd/axon/homeserver"
	"github.com/axonhs/axon/persistence"
	core "github.com/axonhs/axon/rooms/room"
	"github.com/axonhs/axon/rooms/signing"
	"github.com/axonhs/axon/rooms/version"
)

// sendTexts sends n numbered messages and returns their event IDs in order.
func sendTexts(t *testing.T, cli *mautrix.Client, room id.RoomID, prefix string, n int) []id.EventID {
	t.Helper()
	ctx := bg(t)
	out := make([]id.EventID, 0, n)
	for i := range n {
		r, err := cli.SendText(ctx, room, fmt.Sprintf("%s %d", prefix, i))
		if err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		out = append(out, r.EventID)
	}
	return out
}

// paginate follows /messages in one direction until there is no end token
// and returns every event ID seen, in the order served.
func paginate(t *testing.T, cli *mautrix.Client, room id.RoomID, dir mautrix.Direction, filter *mautrix.FilterPart, limit int) []id.EventID {
	t.Helper()
	ctx := bg(t)
	var ids []id.EventID
	from := ""
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("pagination does not end")
		}
		r, err := cli.Messages(ctx, room, from, "", dir, filter, limit)
		if err != nil {
			t.Fatalf("messages from %q: %v", from, err)
		}
		if from != "" && r.Start != from {
			t.Fatalf("start %q, want the from token %q", r.Start, from)
		}
		if len(r.Chunk) > limit {
			t.Fatalf("%d events for limit %d", len(r.Chunk), limit)
		}
		for _, ev := range r.Chunk {
			if ev.RoomID != room {
				t.Fatalf("event %s of room %s served in %s", ev.ID, ev.RoomID, room)
			}
			ids = append(ids, ev.ID)
		}
		if r.End == "" {
			return ids
		}
		from = r.End
	}
}

// onlyMessages keeps the IDs in want's set, in the order given.
func onlyMessages(ids []id.EventID, want []id.EventID) []id.EventID {
	var out []id.EventID
	for _, i := range ids {
		if slices.Contains(want, i) {
			out = append(out, i)
		}
	}
	return out
}

func checkHistory(t *testing.T, what string, cli *mautrix.Client, room id.RoomID, sent []id.EventID) {
	t.Helper()
	back := paginate(t, cli, room, mautrix.DirectionBackward, nil, 7)
	fwd := paginate(t, cli, room, mautrix.DirectionForward, nil, 7)
	if len(back) != len(fwd) {
		t.Fatalf("%s: %d events backwards, %d forwards", what, len(back), len(fwd))
	}
	rev := slices.Clone(back)
	slices.Reverse(rev)
	if !slices.Equal(rev, fwd) {
		t.Fatalf("%s: backwards is not forwards reversed", what)
	}
	if got := onlyMessages(fwd, sent); !slices.Equal(got, sent) {
		t.Fatalf("%s: forwards has %d of %d messages, or out of order", what, len(got), len(sent))
	}
	if fwd[0] == "" || len(fwd) < len(sent)+3 {
		t.Fatalf("%s: history misses the room's first events: %d events", what, len(fwd))
	}
}

// /messages returns the whole history in order in both directions, also
// after a server restart (a fresh room actor loaded from Pebble).
func TestMessagesWholeHistoryBothDirections(t *testing.T) {
	dir := tempDir(t)
	srv := startServer(t, testConfig(t, dir))
	ctx := bg(t)
	alice := member(t, srv, "alice")
	created, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "private_chat", Name: "history"})
	if err != nil {
		t.Fatal(err)
	}
	room := created.RoomID
	sent := sendTexts(t, alice, room, "m", 60)
	checkHistory(t, "before restart", alice, room, sent)

	first, err := alice.Messages(ctx, room, "", "", mautrix.DirectionForward, nil, 1)
	if err != nil || len(first.Chunk) != 1 || first.Chunk[0].Type != event.StateCreate {
		t.Fatalf("forwards without from must start at the create event: %+v %v", first, err)
	}
	// Filters: only messages, and a sender filter that matches nobody.
	msgs := paginate(t, alice, room, mautrix.DirectionForward, &mautrix.FilterPart{Types: []event.Type{event.EventMessage}}, 25)
	if !slices.Equal(msgs, sent) {
		t.Fatalf("types filter: %d events, want the %d messages in order", len(msgs), len(sent))
	}
	if none := paginate(t, alice, room, mautrix.DirectionBackward, &mautrix.FilterPart{Senders: []id.UserID{"@nobody:localhost"}}, 25); len(none) != 0 {
		t.Fatalf("senders filter served %d events", len(none))
	}
	lazy, err := alice.Messages(ctx, room, "", "", mautrix.DirectionBackward, &mautrix.FilterPart{LazyLoadMembers: true}, 5)
	if err != nil || len(lazy.State) != 1 || lazy.State[0].GetStateKey() != alice.UserID.String() {
		t.Fatalf("lazy-loaded members: %+v %v", lazy, err)
	}
	// to stops the walk: from the newest event back to the 10th message.
	mid, err := alice.Context(ctx, room, sent[10], nil, 2)
	if err != nil {
		t.Fatal(err)
	}
	tail, err := alice.Messages(ctx, room, "", mid.End, mautrix.DirectionBackward, nil, 100)
	// mid.End is just after sent[11]: the walk stops before sent[11].
	if err != nil || len(tail.Chunk) != 48 || tail.End != "" || tail.Chunk[47].ID != sent[12] {
		t.Fatalf("to token: %d events, end %q, %v; want sent[59..12] and no end", len(tail.Chunk), tail.End, err)
	}

	// A /sync-shaped token: s<stream position>. One past everything pages
	// back from the newest event; s0 is before the room began.
	fromSync, err := alice.Messages(ctx, room, "s99999999_1_2", "", mautrix.DirectionBackward, nil, 3)
	if err != nil || fromSync.Start != "s99999999_1_2" || len(fromSync.Chunk) != 3 || fromSync.Chunk[0].ID != sent[len(sent)-1] {
		t.Fatalf("from a stream token: %+v %v", fromSync, err)
	}
	if none, err := alice.Messages(ctx, room, "s0", "", mautrix.DirectionBackward, nil, 3); err != nil || len(none.Chunk) != 0 || none.End != "" {
		t.Fatalf("from s0: %+v %v", none, err)
	}

	stopServer(t, srv)
	srv = startServer(t, testConfig(t, dir))
	alice = relogin(t, srv, alice)
	checkHistory(t, "after restart", alice, room, sent)
	more := sendTexts(t, alice, room, "after", 5)
	checkHistory(t, "sending after restart", alice, room, append(slices.Clone(sent), more...))
}

// relogin gives a client for the same user and token on a restarted server.
func relogin(t *testing.T, srv *homeserver.Server, old *mautrix.Client) *mautrix.Client {
	cli := newClient(t, srv)
	cli.SetCredentials(old.UserID, old.AccessToken)
	cli.DeviceID = old.DeviceID
	return cli
}

func TestContextAndEvent(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice := member(t, srv, "alice")
	created, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "private_chat", Topic: "ctx"})
	if err != nil {
		t.Fatal(err)
	}
	room := created.RoomID
	sent := sendTexts(t, alice, room, "c", 20)
	r, err := alice.Context(ctx, room, sent[10], nil, 6)
	if err != nil {
		t.Fatal(err)
	}
	if r.Event.ID != sent[10] || len(r.EventsBefore) != 3 || len(r.EventsAfter) != 3 {
		t.Fatalf("context: event %s, %d before, %d after", r.Event.ID, len(r.EventsBefore), len(r.EventsAfter))
	}
	for i, ev := range r.EventsBefore { // reverse-chronological
		if ev.ID != sent[9-i] {
			t.Fatalf("events_before[%d] = %s, want %s", i, ev.ID, sent[9-i])
		}
	}
	for i, ev := range r.EventsAfter {
		if ev.ID != sent[11+i] {
			t.Fatalf("events_after[%d] = %s, want %s", i, ev.ID, sent[11+i])
		}
	}
	hasTopic := false
	for _, ev := range r.State {
		hasTopic = hasTopic || ev.Type == event.StateTopic
	}
	if !hasTopic {
		t.Fatal("context state misses the topic")
	}
	// Continuing /messages from the context's tokens.
	after, err := alice.Messages(ctx, room, r.End, "", mautrix.DirectionForward, nil, 100)
	if err != nil || len(after.Chunk) != 6 || after.Chunk[0].ID != sent[14] {
		t.Fatalf("messages from context end: %d events, %v", len(after.Chunk), err)
	}
	ev, err := alice.GetEvent(ctx, room, sent[3])
	if err != nil || ev.Content.Raw["body"] != "c 3" || ev.Unsigned.Age < 0 {
		t.Fatalf("get event: %+v %v", ev, err)
	}
	red, err := alice.RedactEvent(ctx, room, sent[4], mautrix.ReqRedact{Reason: "oops"})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := alice.GetEvent(ctx, room, sent[4])
	if err != nil || len(gone.Content.Raw) != 0 || gone.Unsigned.RedactedBecause == nil || gone.Unsigned.RedactedBecause.ID != red.EventID {
		t.Fatalf("redacted event: %+v %v", gone, err)
	}
	_, err = alice.GetEvent(ctx, room, "$doesnotexist")
	wantMatrixError(t, "unknown event", err, http.StatusNotFound, "M_NOT_FOUND")
	_, err = alice.Context(ctx, room, "$doesnotexist", nil, 4)
	wantMatrixError(t, "context of unknown event", err, http.StatusNotFound, "M_NOT_FOUND")
	name, err := alice.FullStateEvent(ctx, room, event.StateTopic, "")
	if err != nil || name.Content.AsTopic().Topic != "ctx" {
		t.Fatalf("state event with format=event: %+v %v", name, err)
	}
}

func TestMembersFilters(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice, bob, carol := member(t, srv, "alice"), member(t, srv, "bob"), member(t, srv, "carol")
	created, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "public_chat"})
	if err != nil {
		t.Fatal(err)
	}
	room := created.RoomID
	if _, err := bob.JoinRoomByID(ctx, room); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.InviteUser(ctx, room, &mautrix.ReqInviteUser{UserID: carol.UserID}); err != nil {
		t.Fatal(err)
	}
	members := func(req mautrix.ReqMembers) []string {
		r, err := alice.Members(ctx, room, req)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, ev := range r.Chunk {
			out = append(out, ev.GetStateKey()+"="+string(ev.Content.AsMember().Membership))
		}
		slices.Sort(out)
		return out
	}
	if got := members(mautrix.ReqMembers{}); !slices.Equal(got, []string{"@alice:localhost=join", "@bob:localhost=join", "@carol:localhost=invite"}) {
		t.Fatalf("all members: %v", got)
	}
	if got := members(mautrix.ReqMembers{Membership: event.MembershipInvite}); !slices.Equal(got, []string{"@carol:localhost=invite"}) {
		t.Fatalf("membership=invite: %v", got)
	}
	if got := members(mautrix.ReqMembers{NotMembership: event.MembershipInvite}); len(got) != 2 {
		t.Fatalf("not_membership=invite: %v", got)
	}
	jm, err := alice.JoinedMembers(ctx, room)
	if err != nil || len(jm.Joined) != 2 {
		t.Fatalf("joined members: %+v %v", jm, err)
	}
	jr, err := bob.JoinedRooms(ctx)
	if err != nil || !slices.Contains(jr.JoinedRooms, room) {
		t.Fatalf("joined rooms: %+v %v", jr, err)
	}
	if r := call(t, srv, "GET", "/_matrix/client/v3/rooms/"+url.PathEscape(string(room))+"/members?membership=nope", alice.AccessToken, nil); r.status != 400 || r.errcode() != "M_INVALID_PARAM" {
		t.Fatalf("bad membership: %d %v", r.status, r.body)
	}
}

func TestAliasResolveMoveDelete(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice, bob := member(t, srv, "alice"), member(t, srv, "bob")
	created, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "public_chat", RoomAliasName: "first"})
	if err != nil {
		t.Fatal(err)
	}
	room := created.RoomID
	res, err := bob.ResolveAlias(ctx, "#first:localhost")
	if err != nil || res.RoomID != room || !slices.Contains(res.Servers, "localhost") {
		t.Fatalf("resolve createRoom's alias: %+v %v", res, err)
	}
	// Move: a new alias, the canonical alias pointed at it, the old one deleted.
	if _, err := alice.CreateAlias(ctx, "#second:localhost", room); err != nil {
		t.Fatal(err)
	}
	_, err = alice.CreateAlias(ctx, "#second:localhost", room)
	wantMatrixError(t, "alias taken", err, http.StatusConflict, "M_UNKNOWN")
	if _, err := alice.SendStateEvent(ctx, room, event.StateCanonicalAlias, "", map[string]any{"alias": "#second:localhost", "alt_aliases": []string{"#first:localhost"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.JoinRoomByID(ctx, room); err != nil {
		t.Fatal(err)
	}
	_, err = bob.DeleteAlias(ctx, "#first:localhost")
	wantMatrixError(t, "bob deletes alice's alias", err, http.StatusForbidden, "M_FORBIDDEN")
	if _, err := alice.DeleteAlias(ctx, "#first:localhost"); err != nil {
		t.Fatal(err)
	}
	_, err = bob.ResolveAlias(ctx, "#first:localhost")
	wantMatrixError(t, "deleted alias", err, http.StatusNotFound, "M_NOT_FOUND")
	var ca event.CanonicalAliasEventContent
	if err := bob.StateEvent(ctx, room, event.StateCanonicalAlias, "", &ca); err != nil || ca.Alias != "#second:localhost" || len(ca.AltAliases) != 0 {
		t.Fatalf("canonical alias after delete: %+v %v", ca, err)
	}
	list, err := bob.GetAliases(ctx, room)
	if err != nil || !slices.Equal(list.Aliases, []id.RoomAlias{"#second:localhost"}) {
		t.Fatalf("room aliases: %+v %v", list, err)
	}
	j, err := bob.JoinRoom(ctx, "#second:localhost", nil)
	if err != nil || j.RoomID != room {
		t.Fatalf("join by alias: %+v %v", j, err)
	}
	_, err = alice.CreateAlias(ctx, "#x:elsewhere", room)
	wantMatrixError(t, "alias of another server", err, http.StatusBadRequest, "M_INVALID_PARAM")
	_, err = alice.ResolveAlias(ctx, "notanalias")
	wantMatrixError(t, "malformed alias", err, http.StatusBadRequest, "M_INVALID_PARAM")
	_, err = alice.DeleteAlias(ctx, "#nothere:localhost")
	wantMatrixError(t, "delete unknown alias", err, http.StatusNotFound, "M_NOT_FOUND")
}

func TestPublicRoomsDirectory(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice, bob := member(t, srv, "alice"), member(t, srv, "bob")
	created, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "public_chat", Name: "Gardening club", Topic: "tomatoes"})
	if err != nil {
		t.Fatal(err)
	}
	room := created.RoomID
	path := "/_matrix/client/v3/directory/list/room/" + url.PathEscape(string(room))
	if r := call(t, srv, "GET", path, "", nil); r.str("visibility") != "private" {
		t.Fatalf("before publishing: %v", r.body)
	}
	if _, err := bob.JoinRoomByID(ctx, room); err != nil {
		t.Fatal(err)
	}
	if r := call(t, srv, "PUT", path, bob.AccessToken, map[string]any{"visibility": "public"}); r.status != 403 || r.errcode() != "M_FORBIDDEN" {
		t.Fatalf("non-moderator publishes: %d %v", r.status, r.body)
	}
	if r := call(t, srv, "PUT", path, alice.AccessToken, map[string]any{"visibility": "public"}); r.status != 200 {
		t.Fatalf("publish: %d %v", r.status, r.body)
	}
	// Renamed after publishing: the directory shows the current name.
	if _, err := alice.SendStateEvent(ctx, room, event.StateRoomName, "", map[string]any{"name": "Gardening society"}); err != nil {
		t.Fatal(err)
	}
	search := func(term string) []map[string]any {
		r := call(t, srv, "POST", "/_matrix/client/v3/publicRooms", bob.AccessToken, map[string]any{"filter": map[string]any{"generic_search_term": term}})
		if r.status != 200 {
			t.Fatalf("search %q: %d %v", term, r.status, r.body)
		}
		var out []map[string]any
		for _, e := range r.body["chunk"].([]any) {
			out = append(out, e.(map[string]any))
		}
		return out
	}
	found := search("TOMATO")
	if len(found) != 1 || found[0]["room_id"] != string(room) || found[0]["name"] != "Gardening society" ||
		found[0]["num_joined_members"] != float64(2) || found[0]["join_rule"] != "public" {
		t.Fatalf("search by topic: %v", found)
	}
	if got := search("cucumber"); len(got) != 0 {
		t.Fatalf("search for another term: %v", got)
	}
	pub, err := bob.PublicRooms(ctx, &mautrix.ReqPublicRooms{Limit: 10})
	if err != nil || len(pub.Chunk) != 1 || pub.TotalRoomCountEstimate != 1 {
		t.Fatalf("GET publicRooms: %+v %v", pub, err)
	}
	if r := call(t, srv, "GET", "/_matrix/client/v3/publicRooms?since=garbage", "", nil); r.status != 400 || r.errcode() != "M_INVALID_PARAM" {
		t.Fatalf("bad since: %d %v", r.status, r.body)
	}
	if r := call(t, srv, "PUT", path, alice.AccessToken, map[string]any{"visibility": "private"}); r.status != 200 {
		t.Fatalf("unpublish: %d %v", r.status, r.body)
	}
	if got := search(""); len(got) != 0 {
		t.Fatalf("unpublished room still listed: %v", got)
	}
}

func TestRoomUpgrade(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice, bob := member(t, srv, "alice"), member(t, srv, "bob")
	created, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "public_chat", Name: "old name", Topic: "kept", RoomVersion: "10", RoomAliasName: "up"})
	if err != nil {
		t.Fatal(err)
	}
	room := created.RoomID
	if _, err := bob.JoinRoomByID(ctx, room); err != nil {
		t.Fatal(err)
	}
	listing := "/_matrix/client/v3/directory/list/room/"
	if r := call(t, srv, "PUT", listing+url.PathEscape(string(room)), alice.AccessToken, map[string]any{"visibility": "public"}); r.status != 200 {
		t.Fatalf("publish: %d %v", r.status, r.body)
	}
	upgrade := "/_matrix/client/v3/rooms/" + url.PathEscape(string(room)) + "/upgrade"
	if r := call(t, srv, "POST", upgrade, bob.AccessToken, map[string]any{"new_version": "11"}); r.status != 403 || r.errcode() != "M_FORBIDDEN" {
		t.Fatalf("bob upgrades: %d %v", r.status, r.body)
	}
	if r := call(t, srv, "POST", upgrade, alice.AccessToken, map[string]any{"new_version": "999"}); r.status != 400 || r.errcode() != "M_UNSUPPORTED_ROOM_VERSION" {
		t.Fatalf("unknown version: %d %v", r.status, r.body)
	}
	r := call(t, srv, "POST", upgrade, alice.AccessToken, map[string]any{"new_version": "11"})
	if r.status != 200 || r.str("replacement_room") == "" {
		t.Fatalf("upgrade: %d %v", r.status, r.body)
	}
	newRoom := id.RoomID(r.str("replacement_room"))
	var tomb event.TombstoneEventContent
	if err := bob.StateEvent(ctx, room, event.StateTombstone, "", &tomb); err != nil || tomb.ReplacementRoom != newRoom {
		t.Fatalf("tombstone: %+v %v", tomb, err)
	}
	var topic event.TopicEventContent
	if err := alice.StateEvent(ctx, newRoom, event.StateTopic, "", &topic); err != nil || topic.Topic != "kept" {
		t.Fatalf("carried topic: %+v %v", topic, err)
	}
	create, err := alice.FullStateEvent(ctx, newRoom, event.StateCreate, "")
	if err != nil || create.Content.AsCreate().Predecessor == nil || create.Content.AsCreate().Predecessor.RoomID != room {
		t.Fatalf("predecessor: %+v %v", create, err)
	}
	res, err := bob.ResolveAlias(ctx, "#up:localhost")
	if err != nil || res.RoomID != newRoom {
		t.Fatalf("alias moved: %+v %v", res, err)
	}
	if r := call(t, srv, "GET", listing+url.PathEscape(string(newRoom)), "", nil); r.str("visibility") != "public" {
		t.Fatalf("new room's listing: %v", r.body)
	}
	if r := call(t, srv, "GET", listing+url.PathEscape(string(room)), "", nil); r.str("visibility") != "private" {
		t.Fatalf("old room's listing: %v", r.body)
	}
	if _, err := bob.SendText(ctx, room, "still here?"); err == nil {
		t.Fatal("bob still talks in the tombstoned room")
	}
}

func TestReports(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice, eve := member(t, srv, "alice"), member(t, srv, "eve")
	created, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "public_chat"})
	if err != nil {
		t.Fatal(err)
	}
	room := created.RoomID
	if _, err := eve.JoinRoomByID(ctx, room); err != nil {
		t.Fatal(err)
	}
	spam := sendTexts(t, eve, room, "spam", 1)[0]
	if err := alice.ReportEvent(ctx, room, spam, "spam"); err != nil {
		t.Fatal(err)
	}
	if err := alice.ReportRoom(ctx, room, "whole room"); err != nil {
		t.Fatal(err)
	}
	err = alice.ReportEvent(ctx, room, "$nope", "x")
	wantMatrixError(t, "report unknown event", err, http.StatusNotFound, "M_NOT_FOUND")
	if r := call(t, srv, "GET", "/_synapse/admin/v1/event_reports", alice.AccessToken, nil); r.status != 403 {
		t.Fatalf("non-admin lists reports: %d %v", r.status, r.body)
	}
	n := nonce(t, srv)
	admin := call(t, srv, "POST", "/_synapse/admin/v1/register", "", map[string]any{"nonce": n, "username": "root", "password": "pw",
		"admin": true, "mac": mac("s3cret", n, "root", "pw", "admin")})
	r := call(t, srv, "GET", "/_synapse/admin/v1/event_reports?limit=1", admin.str("access_token"), nil)
	reports, _ := r.body["event_reports"].([]any)
	if r.status != 200 || len(reports) != 1 || r.body["next_token"] != float64(1) {
		t.Fatalf("admin lists reports: %d %v", r.status, r.body)
	}
	first := reports[0].(map[string]any)
	if first["event_id"] != string(spam) || first["reason"] != "spam" || first["user_id"] != string(alice.UserID) {
		t.Fatalf("first report: %v", first)
	}
	r = call(t, srv, "GET", "/_synapse/admin/v1/event_reports?from=1", admin.str("access_token"), nil)
	if reports, _ := r.body["event_reports"].([]any); len(reports) != 1 || reports[0].(map[string]any)["reason"] != "whole room" {
		t.Fatalf("second page: %v", r.body)
	}
}

// Bad input to the read endpoints gets its Matrix error, never a 500.
func TestRoomReadsBadInput(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice := member(t, srv, "alice")
	created, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "private_chat"})
	if err != nil {
		t.Fatal(err)
	}
	room := url.PathEscape(string(created.RoomID))
	base := "/_matrix/client/v3/rooms/"
	for _, tc := range []struct {
		path   string
		status int
		code   string
	}{
		{base + "!unknown:localhost/messages?dir=b", 403, "M_FORBIDDEN"},
		{base + "notaroom/messages?dir=b", 400, "M_INVALID_PARAM"},
		{base + room + "/messages", 400, "M_MISSING_PARAM"},
		{base + room + "/messages?dir=x", 400, "M_INVALID_PARAM"},
		{base + room + "/messages?dir=b&from=garbage", 400, "M_INVALID_PARAM"},
		{base + room + "/messages?dir=b&from=t99999999999999999999_1", 400, "M_INVALID_PARAM"},
		{base + room + "/messages?dir=b&to=t1_", 400, "M_INVALID_PARAM"},
		{base + room + "/messages?dir=b&limit=-1", 400, "M_INVALID_PARAM"},
		{base + room + "/messages?dir=b&filter=notjson", 400, "M_INVALID_PARAM"},
		{base + room + "/event/notanevent", 400, "M_INVALID_PARAM"},
		{base + room + "/event/$unknown", 404, "M_NOT_FOUND"},
		{base + room + "/context/$unknown", 404, "M_NOT_FOUND"},
		{base + room + "/state/m.room.name/", 404, "M_NOT_FOUND"},
		{base + room + "/members?at=zzz", 400, "M_INVALID_PARAM"},
		{"/_matrix/client/v1/rooms/" + room + "/relations/$unknown", 404, "M_NOT_FOUND"},
		{"/_matrix/client/v1/rooms/" + room + "/timestamp_to_event?ts=abc&dir=f", 400, "M_INVALID_PARAM"},
		{"/_matrix/client/v1/rooms/" + room + "/timestamp_to_event?ts=1&dir=b", 404, "M_NOT_FOUND"},
		{"/_matrix/client/v1/rooms/" + room + "/threads?from=bad", 400, "M_INVALID_PARAM"},
		{"/_matrix/client/v3/directory/room/%23bad", 400, "M_INVALID_PARAM"},
	} {
		r := call(t, srv, "GET", tc.path, alice.AccessToken, nil)
		if r.status != tc.status || r.errcode() != tc.code {
			t.Errorf("GET %s: %d %v, want %d %s", tc.path, r.status, r.body, tc.status, tc.code)
		}
	}
}

func TestRelationsThreadsAndTimestamps(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice := member(t, srv, "alice")
	created, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "private_chat"})
	if err != nil {
		t.Fatal(err)
	}
	room := created.RoomID
	before := time.Now()
	root := sendTexts(t, alice, room, "root", 1)[0]
	var replies []id.EventID
	for i := range 3 {
		r, err := alice.SendMessageEvent(ctx, room, event.EventMessage, map[string]any{
			"msgtype": "m.text", "body": fmt.Sprint("reply ", i),
			"m.relates_to": map[string]any{"rel_type": "m.thread", "event_id": root},
		})
		if err != nil {
			t.Fatal(err)
		}
		replies = append(replies, r.EventID)
	}
	if _, err := alice.SendReaction(ctx, room, root, "👍"); err != nil {
		t.Fatal(err)
	}
	rel, err := alice.GetRelations(ctx, room, root, &mautrix.ReqGetRelations{RelationType: event.RelThread, Limit: 2})
	if err != nil || len(rel.Chunk) != 2 || rel.Chunk[0].ID != replies[2] || rel.NextBatch == "" {
		t.Fatalf("thread relations page 1: %+v %v", rel, err)
	}
	rel2, err := alice.GetRelations(ctx, room, root, &mautrix.ReqGetRelations{RelationType: event.RelThread, Limit: 2, From: rel.NextBatch})
	if err != nil || len(rel2.Chunk) != 1 || rel2.Chunk[0].ID != replies[0] || rel2.NextBatch != "" {
		t.Fatalf("thread relations page 2: %+v %v", rel2, err)
	}
	all, err := alice.GetRelations(ctx, room, root, &mautrix.ReqGetRelations{Dir: mautrix.DirectionForward})
	if err != nil || len(all.Chunk) != 4 || all.Chunk[0].ID != replies[0] {
		t.Fatalf("all relations forwards: %+v %v", all, err)
	}
	threads := call(t, srv, "GET", "/_matrix/client/v1/rooms/"+url.PathEscape(string(room))+"/threads", alice.AccessToken, nil)
	chunk, _ := threads.body["chunk"].([]any)
	if threads.status != 200 || len(chunk) != 1 || chunk[0].(map[string]any)["event_id"] != string(root) {
		t.Fatalf("threads: %d %v", threads.status, threads.body)
	}
	ts, err := alice.TimestampToEvent(ctx, room, before, mautrix.DirectionForward)
	if err != nil || ts.EventID != root {
		t.Fatalf("timestamp_to_event forwards: %+v %v", ts, err)
	}
	ts, err = alice.TimestampToEvent(ctx, room, time.Now().Add(time.Hour), mautrix.DirectionBackward)
	if err != nil || ts.EventID == "" {
		t.Fatalf("timestamp_to_event backwards: %+v %v", ts, err)
	}
}

// visRoom makes a public room of alice's with the given history visibility.
func visRoom(t *testing.T, alice *mautrix.Client, visibility string) id.RoomID {
	t.Helper()
	ctx := bg(t)
	created, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{Preset: "public_chat"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.SendStateEvent(ctx, created.RoomID, event.StateHistoryVisibility, "", map[string]any{"history_visibility": visibility}); err != nil {
		t.Fatal(err)
	}
	return created.RoomID
}

// bodies is every message body cli can read in room, oldest first.
func bodies(t *testing.T, cli *mautrix.Client, room id.RoomID) []string {
	t.Helper()
	r, err := cli.Messages(bg(t), room, "", "", mautrix.DirectionForward, &mautrix.FilterPart{Types: []event.Type{event.EventMessage}}, 100)
	if err != nil {
		t.Fatalf("%s reads %s: %v", cli.UserID, room, err)
	}
	var out []string
	for _, ev := range r.Chunk {
		out = append(out, fmt.Sprint(ev.Content.Raw["body"]))
	}
	return out
}

func TestHistoryVisibilityJoined(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice, bob := member(t, srv, "alice"), member(t, srv, "bob")
	room := visRoom(t, alice, "joined")
	before := sendTexts(t, alice, room, "before", 1)[0]
	if _, err := bob.JoinRoomByID(ctx, room); err != nil {
		t.Fatal(err)
	}
	sendTexts(t, alice, room, "after", 1)
	if got := bodies(t, bob, room); !slices.Equal(got, []string{"after 0"}) {
		t.Fatalf("bob reads %v, want only what was sent after he joined", got)
	}
	if got := bodies(t, alice, room); !slices.Equal(got, []string{"before 0", "after 0"}) {
		t.Fatalf("alice reads %v", got)
	}
	_, err := bob.GetEvent(ctx, room, before)
	wantMatrixError(t, "bob fetches an event from before his join", err, http.StatusNotFound, "M_NOT_FOUND")
	_, err = bob.Context(ctx, room, before, nil, 4)
	wantMatrixError(t, "bob asks the context of it", err, http.StatusNotFound, "M_NOT_FOUND")
	// A reaction sent after bob joined is visible to him; the event it
	// relates to is not, so neither are its relations.
	if _, err := alice.SendReaction(ctx, room, before, "👀"); err != nil {
		t.Fatal(err)
	}
	_, err = bob.GetRelations(ctx, room, before, &mautrix.ReqGetRelations{})
	wantMatrixError(t, "bob lists relations of a hidden event", err, http.StatusNotFound, "M_NOT_FOUND")
	if rel, err := alice.GetRelations(ctx, room, before, &mautrix.ReqGetRelations{}); err != nil || len(rel.Chunk) != 1 {
		t.Fatalf("alice lists the relations: %+v %v", rel, err)
	}
}

func TestHistoryVisibilityShared(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice, bob, carol := member(t, srv, "alice"), member(t, srv, "bob"), member(t, srv, "carol")
	room := visRoom(t, alice, "shared")
	if _, err := alice.SendStateEvent(ctx, room, event.StateTopic, "", map[string]any{"topic": "old topic"}); err != nil {
		t.Fatal(err)
	}
	sendTexts(t, alice, room, "before", 1)
	if _, err := bob.JoinRoomByID(ctx, room); err != nil {
		t.Fatal(err)
	}
	sendTexts(t, alice, room, "while joined", 1)
	if got := bodies(t, bob, room); !slices.Equal(got, []string{"before 0", "while joined 0"}) {
		t.Fatalf("joined bob reads %v, want the history from before his join too", got)
	}
	if _, err := bob.LeaveRoom(ctx, room); err != nil {
		t.Fatal(err)
	}
	sendTexts(t, alice, room, "after leaving", 1)
	if _, err := alice.SendStateEvent(ctx, room, event.StateTopic, "", map[string]any{"topic": "new topic"}); err != nil {
		t.Fatal(err)
	}
	if got := bodies(t, bob, room); !slices.Equal(got, []string{"before 0", "while joined 0"}) {
		t.Fatalf("bob after leaving reads %v, want nothing sent after he left", got)
	}
	// A user who left reads the state as it was when they left.
	var topic event.TopicEventContent
	if err := bob.StateEvent(ctx, room, event.StateTopic, "", &topic); err != nil || topic.Topic != "old topic" {
		t.Fatalf("bob's view of the topic: %+v %v", topic, err)
	}
	// Having forgotten the room, bob reads nothing of it any more.
	if _, err := bob.ForgetRoom(ctx, room); err != nil {
		t.Fatal(err)
	}
	_, err := bob.Messages(ctx, room, "", "", mautrix.DirectionBackward, nil, 10)
	wantMatrixError(t, "bob reads a forgotten room", err, http.StatusForbidden, "M_FORBIDDEN")
	// Carol was never in the room: nothing of it, whatever the endpoint.
	_, err = carol.Messages(ctx, room, "", "", mautrix.DirectionBackward, nil, 10)
	wantMatrixError(t, "carol reads messages", err, http.StatusForbidden, "M_FORBIDDEN")
	_, err = carol.State(ctx, room)
	wantMatrixError(t, "carol reads state", err, http.StatusForbidden, "M_FORBIDDEN")
	_, err = carol.Members(ctx, room)
	wantMatrixError(t, "carol reads members", err, http.StatusForbidden, "M_FORBIDDEN")
	_, err = carol.GetAliases(ctx, room)
	wantMatrixError(t, "carol reads aliases", err, http.StatusForbidden, "M_FORBIDDEN")
}

func TestHistoryVisibilityInvited(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	ctx := bg(t)
	alice, bob := member(t, srv, "alice"), member(t, srv, "bob")
	room := visRoom(t, alice, "invited")
	sendTexts(t, alice, room, "before invite", 1)
	if _, err := alice.InviteUser(ctx, room, &mautrix.ReqInviteUser{UserID: bob.UserID}); err != nil {
		t.Fatal(err)
	}
	sendTexts(t, alice, room, "while invited", 1)
	if _, err := bob.JoinRoomByID(ctx, room); err != nil {
		t.Fatal(err)
	}
	sendTexts(t, alice, room, "joined", 1)
	if got := bodies(t, bob, room); !slices.Equal(got, []string{"while invited 0", "joined 0"}) {
		t.Fatalf("bob reads %v, want everything from his invite on", got)
	}
}

func TestHistoryVisibilityWorldReadable(t *testing.T) {
	cfg := testConfig(t, tempDir(t))
	cfg.AllowGuestAccess = true
	srv := startServer(t, cfg)
	ctx := bg(t)
	alice, carol := member(t, srv, "alice"), member(t, srv, "carol")
	room := visRoom(t, alice, "world_readable")
	sent := sendTexts(t, alice, room, "public", 2)
	if got := bodies(t, carol, room); !slices.Equal(got, []string{"public 0", "public 1"}) {
		t.Fatalf("carol, never joined, reads %v", got)
	}
	// A guest too (module guest_access.md lists /messages for guests).
	g := call(t, srv, "POST", "/_matrix/client/v3/register?kind=guest", "", map[string]any{})
	guest := newClient(t, srv)
	guest.SetCredentials(id.UserID(g.str("user_id")), g.str("access_token"))
	if got := bodies(t, guest, room); !slices.Equal(got, []string{"public 0", "public 1"}) {
		t.Fatalf("a guest reads %v", got)
	}
	if ev, err := carol.GetEvent(ctx, room, sent[1]); err != nil || ev.ID != sent[1] {
		t.Fatalf("carol fetches an event: %v", err)
	}
	if st, err := carol.State(ctx, room); err != nil || len(st[event.StateMember]) != 1 {
		t.Fatalf("carol reads the state: %v %v", st, err)
	}
	if m, err := carol.Members(ctx, room); err != nil || len(m.Chunk) != 1 {
		t.Fatalf("carol reads the members: %v", err)
	}
	// Back to shared: what follows is hidden from carol again, what was
	// world_readable stays readable.
	if _, err := alice.SendStateEvent(ctx, room, event.StateHistoryVisibility, "", map[string]any{"history_visibility": "shared"}); err != nil {
		t.Fatal(err)
	}
	sendTexts(t, alice, room, "private", 1)
	_, err := carol.Messages(ctx, room, "", "", mautrix.DirectionBackward, nil, 10)
	wantMatrixError(t, "carol reads a room no longer world_readable", err, http.StatusForbidden, "M_FORBIDDEN")
	_, err = guest.Messages(ctx, room, "", "", mautrix.DirectionBackward, nil, 10)
	wantMatrixError(t, "the guest reads it", err, http.StatusForbidden, "M_FORBIDDEN")
	if got := bodies(t, alice, room); !slices.Equal(got, []string{"public 0", "public 1", "private 0"}) {
		t.Fatalf("alice reads %v", got)
	}
}

// /messages returns the whole history in order after the room's actor
// passivated twice in the middle of it: events written by a reloaded actor
// continue the same timeline. The room is written through a room directory
// with a short idle timeout, then served by a homeserver on the same data.
func TestMessagesAfterPassivation(t *testing.T) {
	dir := tempDir(t)
	cfg := testConfig(t, dir)
	if err := os.MkdirAll(filepath.Dir(cfg.Database.Path), 0o700); err != nil {
		t.Fatal(err)
	}
	keyFile, err := os.Open(cfg.SigningKeyPath)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := signing.ReadKeyFile(keyFile)
	keyFile.Close()
	if err != nil || len(keys) == 0 {
		t.Fatalf("signing key: %v", err)
	}
	st, err := persistence.Open(cfg.Database.Path, persistence.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sys := actors.NewSystem(slog.New(slog.NewTextHandler(io.Discard, nil)))
	rooms, err := room.NewDirectory(sys, room.Config{Store: st, IdleTimeout: 20 * time.Millisecond,
		Signer: core.Signer{ServerName: cfg.ServerName, Key: keys[0], Rand: rand.Reader}})
	if err != nil {
		t.Fatal(err)
	}
	v, err := version.Lookup(version.Default)
	if err != nil {
		t.Fatal(err)
	}
	creator := "@alice:" + cfg.ServerName
	roomID, err := rooms.Create(core.CreateParams{Creator: creator, Version: v, Preset: core.PresetPrivateChat})
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for round := range 3 {
		for i := range 10 {
			body := fmt.Sprintf("round %d message %d", round, i)
			content, _ := json.Marshal(map[string]any{"msgtype": "m.text", "body": body})
			if _, err := rooms.Propose(bg(t), roomID, core.Proposal{Type: "m.room.message", Sender: creator, Content: content}, nil); err != nil {
				t.Fatal(err)
			}
			bodies = append(bodies, body)
		}
		deadline := time.Now().Add(10 * time.Second)
		for rooms.Stats().LiveActors != 0 {
			if time.Now().After(deadline) {
				t.Fatal("the room actor never passivated")
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rooms.Stop(stopCtx); err != nil {
		t.Fatal(err)
	}
	sys.Shutdown()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	srv := startServer(t, cfg)
	alice := member(t, srv, "alice")
	room := id.RoomID(roomID)
	msgIDs := paginate(t, alice, room, mautrix.DirectionForward, &mautrix.FilterPart{Types: []event.Type{event.EventMessage}}, 7)
	var got []string
	for _, evID := range msgIDs {
		ev, err := alice.GetEvent(bg(t), room, evID)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprint(ev.Content.Raw["body"]))
	}
	if !slices.Equal(got, bodies) {
		t.Fatalf("history after passivation:\n got %q\nwant %q", got, bodies)
	}
	checkHistory(t, "after passivation", alice, room, msgIDs)
}
