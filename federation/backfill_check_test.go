package federation_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/signing"
	"github.com/axonhs/axon/rooms/version"
)

// backfillRoom is a version 11 room of old.example with some history.
type backfillRoom struct {
	kr                  *federation.Keyring
	key                 signing.KeyPair
	v                   version.Spec
	create, member, pl  *event.Event
	msgs                []*event.Event
	stranger, otherRoom *event.Event
}

func newBackfillRoom(t *testing.T) *backfillRoom { return newBackfillRoomTB(t) }

func newBackfillRoomTB(t testing.TB) *backfillRoom {
	t.Helper()
	r := &backfillRoom{key: newKey(t, "old")}
	r.v, _ = version.Lookup("11")
	pub := federation.NewPublisher("old.example", r.key, nil, time.Hour, nil)
	r.kr = federation.NewKeyring(federation.KeyringConfig{Fetcher: &publisherFetcher{servers: map[string]*federation.Publisher{"old.example": pub}}})
	owner, empty := "@owner:old.example", ""
	r.create = r.build(t, "!h:old.example", "m.room.create", &empty, owner, `{"room_version":"11"}`, nil, nil, 1)
	r.member = r.build(t, "!h:old.example", "m.room.member", &owner, owner, `{"membership":"join"}`, []string{r.create.ID}, []string{r.create.ID}, 2)
	r.pl = r.build(t, "!h:old.example", "m.room.power_levels", &empty, owner, `{"users":{"`+owner+`":100}}`, []string{r.member.ID}, []string{r.create.ID, r.member.ID}, 3)
	prev := r.pl.ID
	for i := range 3 {
		m := r.build(t, "!h:old.example", "m.room.message", nil, owner, fmt.Sprintf(`{"body":"m%d"}`, i), []string{prev}, []string{r.create.ID, r.member.ID, r.pl.ID}, int64(4+i))
		r.msgs = append(r.msgs, m)
		prev = m.ID
	}
	r.stranger = r.build(t, "!h:old.example", "m.room.message", nil, "@stranger:old.example", `{"body":"hi"}`, []string{prev}, []string{r.create.ID, r.pl.ID}, 7)
	r.otherRoom = r.build(t, "!other:old.example", "m.room.message", nil, owner, `{"body":"elsewhere"}`, []string{prev}, []string{r.create.ID, r.member.ID, r.pl.ID}, 7)
	return r
}

func (r *backfillRoom) build(t testing.TB, roomID, typ string, sk *string, sender, content string, prev, auth []string, depth int64) *event.Event {
	t.Helper()
	ev, err := (&event.Proto{RoomID: roomID, Type: typ, StateKey: sk, Sender: sender, Content: json.RawMessage(content),
		PrevEvents: prev, AuthEvents: auth, Depth: depth, OriginServerTS: 1_700_000_000_000}).Build(r.v, "old.example", r.key)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// forge replaces an event's signature with one that does not verify.
func forge(t *testing.T, ev *event.Event) json.RawMessage {
	t.Helper()
	var obj map[string]any
	if err := json.Unmarshal(ev.Raw, &obj); err != nil {
		t.Fatal(err)
	}
	obj["signatures"] = map[string]any{"old.example": map[string]string{"ed25519:old": strings.Repeat("A", 86)}}
	b, _ := json.Marshal(obj)
	return b
}

func pdus(evs ...*event.Event) []json.RawMessage {
	out := make([]json.RawMessage, len(evs))
	for i, e := range evs {
		out[i] = e.Raw
	}
	return out
}

// held serves the given events as the ones this server holds.
func held(evs ...*event.Event) federation.HeldEvent {
	m := map[string]*event.Event{}
	for _, e := range evs {
		m[e.ID] = e
	}
	return func(id string) (*event.Event, bool, error) { e, ok := m[id]; return e, ok, nil }
}

func TestCheckBackfill(t *testing.T) {
	r := newBackfillRoom(t)
	m0, m1, m2 := r.msgs[0], r.msgs[1], r.msgs[2]
	cases := []struct {
		name     string
		raws     []json.RawMessage
		held     federation.HeldEvent
		accepted []string
		refused  map[string]error
	}{
		{name: "honest history, newest first, auth events held",
			raws: pdus(m2, m1, m0), held: held(r.create, r.member, r.pl), accepted: []string{m0.ID, m1.ID, m2.ID}},
		{name: "auth events earlier in the same answer",
			raws: pdus(m0, r.pl, r.member, r.create), held: held(), accepted: []string{r.create.ID, r.member.ID, r.pl.ID, m0.ID}},
		{name: "forged signature refused, the rest stands",
			raws: []json.RawMessage{m2.Raw, forge(t, m1), m0.Raw}, held: held(r.create, r.member, r.pl),
			accepted: []string{m0.ID, m2.ID}, refused: map[string]error{m1.ID: federation.ErrPDUSignature}},
		{name: "sender never joined",
			raws: pdus(r.stranger, m0), held: held(r.create, r.member, r.pl),
			accepted: []string{m0.ID}, refused: map[string]error{r.stranger.ID: federation.ErrBackfillAuth}},
		{name: "auth event neither in the answer nor held",
			raws: pdus(m0), held: held(r.create, r.pl),
			refused: map[string]error{m0.ID: federation.ErrBackfillAuth}},
		{name: "another room's event",
			raws: pdus(r.otherRoom), held: held(r.create, r.member, r.pl),
			refused: map[string]error{r.otherRoom.ID: federation.ErrBadPDU}},
		{name: "not an event at all",
			raws: []json.RawMessage{json.RawMessage(`{"type":"m.room.message"}`), m0.Raw}, held: held(r.create, r.member, r.pl),
			accepted: []string{m0.ID}, refused: map[string]error{"#0": federation.ErrBadPDU}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := federation.CheckBackfill(context.Background(), r.kr, "!h:old.example", r.v, r.create, c.raws, c.held)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, ev := range res.Accepted {
				got = append(got, ev.ID)
			}
			if strings.Join(got, " ") != strings.Join(c.accepted, " ") {
				t.Errorf("accepted %v, want %v (refused: %v)", got, c.accepted, res.Refused)
			}
			if len(res.Refused) != len(c.refused) {
				t.Errorf("refused %v, want %v", res.Refused, c.refused)
			}
			for id, want := range c.refused {
				if err := res.Refused[id]; !errors.Is(err, want) {
					t.Errorf("%s refused with %v, want %v", id, err, want)
				}
			}
		})
	}
}

// FuzzCheckBackfill feeds arbitrary bytes as one PDU of a /backfill answer
// beside an honest message: nothing panics, the honest message is always
// accepted, and whatever is accepted is of the room and parses.
func FuzzCheckBackfill(f *testing.F) {
	r := newBackfillRoomTB(f)
	f.Add([]byte(r.msgs[1].Raw))
	f.Add([]byte(r.stranger.Raw))
	f.Add([]byte(r.otherRoom.Raw))
	f.Add([]byte(`{"room_id":"!h:old.example","type":"m.room.message","auth_events":[],"prev_events":[],"depth":-1}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		res, err := federation.CheckBackfill(context.Background(), r.kr, "!h:old.example", r.v, r.create,
			[]json.RawMessage{raw, r.msgs[0].Raw}, held(r.create, r.member, r.pl))
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, ev := range res.Accepted {
			if ev.RoomID != "!h:old.example" {
				t.Fatalf("accepted %s of room %s", ev.ID, ev.RoomID)
			}
			found = found || ev.ID == r.msgs[0].ID
		}
		if !found {
			t.Fatalf("the honest message was not accepted: %v", res.Refused)
		}
	})
}
