package stateres

import (
	"encoding/json"
	"fmt"
	"syscall"
	"testing"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// forkRoom is a generated room: a common history of about 10,000 state
// slots (members, moderators, power levels, join rules, topic, widgets) and
// two forks that each change about 500 slots on top of it.
type forkRoom struct {
	v      version.Spec
	events EventMap
	sets   []StateMap
	// conflicted is the number of conflicted slots between the forks.
	conflicted int
}

// roomBuilder appends events to one line of history, choosing auth events
// from its current state the way a server does (server-server-api "Auth
// events selection").
type roomBuilder struct {
	v      version.Spec
	roomID string
	events EventMap
	state  StateMap
	last   string
	ts     int64
	n      *int
	prefix string
}

func (b *roomBuilder) fork(prefix string) *roomBuilder {
	st := make(StateMap, len(b.state))
	for k, v := range b.state {
		st[k] = v
	}
	c := *b
	c.state, c.prefix = st, prefix
	return &c
}

func (b *roomBuilder) send(typ, stateKey, sender string, content string) string {
	*b.n++
	id := fmt.Sprintf("$%s%06d", b.prefix, *b.n)
	b.ts += 7
	key := event.StateKey{Type: typ, StateKey: stateKey}
	var auth []string
	pick := func(k event.StateKey) {
		if id, ok := b.state[k]; ok && !containsString(auth, id) {
			auth = append(auth, id)
		}
	}
	if typ != event.TypeCreate {
		if !b.v.RoomIDFromCreateEvent {
			pick(event.StateKey{Type: event.TypeCreate})
		}
		pick(keyPowerLevels)
		pick(memberKey(sender))
		if typ == event.TypeMember {
			pick(memberKey(stateKey))
			if m := membershipOf(&event.Event{Content: json.RawMessage(content)}); m == "join" || m == "invite" {
				pick(event.StateKey{Type: event.TypeJoinRules})
			}
		}
	}
	ev := &event.Event{
		ID: id, RoomID: b.roomID, Type: typ, StateKey: &stateKey, Sender: sender,
		Content: json.RawMessage(content), AuthEvents: auth, OriginServerTS: b.ts, Version: b.v,
	}
	if b.last != "" {
		ev.PrevEvents = []string{b.last}
		ev.Depth = b.events[b.last].Depth + 1
	} else {
		ev.Depth = 1
	}
	if typ == event.TypeCreate && b.v.RoomIDFromCreateEvent {
		ev.RoomID = ""
	}
	b.events[id] = ev
	b.state[key] = id
	b.last = id
	return id
}

func containsString(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

func powerContent(v version.Spec, mods []string, demoted string) string {
	users := map[string]int64{}
	if !v.PrivilegedCreators {
		users["@admin:hs0"] = 100
	}
	for _, m := range mods {
		if m != demoted {
			users[m] = 50
		}
	}
	b, _ := json.Marshal(map[string]any{"users": users, "state_default": 50, "ban": 50, "kick": 50})
	return string(b)
}

// newForkRoom builds the benchmark room: members joined over time, ten
// moderators promoted one by one (a power-levels chain of ten), topic
// changes and widget state. Then fork A and fork B each change about 500
// slots: joins, leaves, kicks or bans, widget edits, a topic, and one
// power-levels change each.
func newForkRoom(tb testing.TB, id version.ID, members, widgets int) *forkRoom {
	v, err := version.Lookup(id)
	if err != nil {
		tb.Fatal(err)
	}
	n := 0
	b := &roomBuilder{v: v, roomID: "!bench:hs0", events: EventMap{}, state: StateMap{}, n: &n, prefix: "base"}
	admin := "@admin:hs0"
	create := b.send(event.TypeCreate, "", admin, `{"room_version":"`+string(id)+`","creator":"`+admin+`"}`)
	if v.RoomIDFromCreateEvent {
		// Rename the create event so that its ID and the room ID agree.
		ev := b.events[create]
		delete(b.events, create)
		ev.ID = "$benchroom"
		b.events[ev.ID] = ev
		b.state[ev.Key()] = ev.ID
		b.last = ev.ID
		b.roomID = "!benchroom"
	}
	b.send(event.TypeMember, admin, admin, `{"membership":"join"}`)
	var mods []string
	b.send(event.TypePowerLevels, "", admin, powerContent(v, mods, ""))
	b.send(event.TypeJoinRules, "", admin, `{"join_rule":"public"}`)
	user := func(i int) string { return fmt.Sprintf("@user%d:hs%d", i, i%50) }
	for i := 0; i < members; i++ {
		b.send(event.TypeMember, user(i), user(i), `{"membership":"join"}`)
		if i%(members/10+1) == 0 && len(mods) < 10 {
			mods = append(mods, user(i))
			b.send(event.TypePowerLevels, "", admin, powerContent(v, mods, ""))
		}
		if i%500 == 250 {
			b.send(event.TypeTopic, "", mods[0], fmt.Sprintf(`{"topic":"topic %d"}`, i))
		}
	}
	for i := 0; i < widgets; i++ {
		b.send("im.vector.modular.widgets", fmt.Sprintf("w%d", i), mods[i%len(mods)], `{"type":"m.custom","url":"https://example.org"}`)
	}

	forkA, forkB := b.fork("a"), b.fork("b")
	// Fork A: the admin demotes the last moderator; new members join;
	// members leave; the first moderator kicks; widgets change; a topic.
	forkA.send(event.TypePowerLevels, "", admin, powerContent(v, mods, mods[len(mods)-1]))
	for i := 0; i < 200; i++ {
		forkA.send(event.TypeMember, user(members+i), user(members+i), `{"membership":"join"}`)
	}
	for i := 0; i < 100; i++ {
		u := user(100 + i*7)
		forkA.send(event.TypeMember, u, u, `{"membership":"leave"}`)
	}
	for i := 0; i < 50; i++ {
		forkA.send(event.TypeMember, user(2000+i*11), mods[0], `{"membership":"leave"}`)
	}
	for i := 0; i < 149; i++ {
		forkA.send("im.vector.modular.widgets", fmt.Sprintf("w%d", i), mods[i%len(mods)], `{"type":"m.custom","url":"https://a.example.org"}`)
	}
	forkA.send(event.TypeTopic, "", admin, `{"topic":"fork a"}`)
	// Fork B: the last moderator bans members, new members join, widgets change,
	// the admin promotes one more moderator, a moderator sets the topic.
	for i := 0; i < 50; i++ {
		forkB.send(event.TypeMember, user(3000+i*13), mods[len(mods)-1], `{"membership":"ban"}`)
	}
	for i := 0; i < 200; i++ {
		forkB.send(event.TypeMember, user(members+1000+i), user(members+1000+i), `{"membership":"join"}`)
	}
	forkB.send(event.TypePowerLevels, "", admin, powerContent(v, append(mods, user(5)), ""))
	for i := 0; i < 249; i++ {
		forkB.send("im.vector.modular.widgets", fmt.Sprintf("w%d", widgets-1-i), mods[i%len(mods)], `{"type":"m.custom","url":"https://b.example.org"}`)
	}
	forkB.send(event.TypeTopic, "", mods[0], `{"topic":"fork b"}`)

	r := &forkRoom{v: v, events: b.events, sets: []StateMap{forkA.state, forkB.state}}
	r.conflicted = len(separateV2(r.sets).conflicted)
	return r
}

// processCPU is the user+system CPU time of the process so far, in ns.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func TestForkRoomShape(t *testing.T) {
	for _, id := range []version.ID{"11", "12"} {
		r := newForkRoom(t, id, 9400, 600)
		if n := len(r.sets[0]); n < 10000 {
			t.Errorf("v%s: fork A has %d state slots, want ≥ 10,000", id, n)
		}
		if r.conflicted < 1000 {
			t.Errorf("v%s: %d conflicted slots, want ≥ 1,000", id, r.conflicted)
		}
		got, err := Resolve(r.v, r.sets, r.events)
		if err != nil {
			t.Fatalf("v%s: %v", id, err)
		}
		// Both power-levels changes are the admin's: fork B's, the later,
		// is applied last and keeps the moderator fork A demoted, so that
		// moderator's bans stand, as do fork A's kicks.
		if pl := r.events[got[keyPowerLevels]]; pl == nil || pl.ID[1] != 'b' {
			t.Errorf("v%s: power levels %q, want fork B's", id, got[keyPowerLevels])
		}
		for user, want := range map[string]string{"@user2000:hs0": "leave", "@user3000:hs0": "ban"} {
			got := got[memberKey(user)]
			if ev := r.events[got]; ev == nil || membershipOf(ev) != want {
				t.Errorf("v%s: %s's slot holds %q, want a %s", id, user, got, want)
			}
		}
		if len(got) < len(r.sets[0]) {
			t.Errorf("v%s: resolved state has %d slots, fewer than a fork", id, len(got))
		}
	}
}

// BenchmarkResolveTwoForks10k resolves two forks of a room with about
// 10,000 state slots and 1,000 conflicted ones, on v11 (v2) and v12 (v2.1).
// "cold" starts each resolution from nothing (Resolve); "reused" keeps one
// Resolver, so the auth graph is already numbered and fetched.
func BenchmarkResolveTwoForks10k(b *testing.B) {
	for _, id := range []version.ID{"11", "12"} {
		r := newForkRoom(b, id, 9400, 600)
		b.Run("v"+string(id)+"/cold", func(b *testing.B) {
			benchResolve(b, r, func() *Resolver { return NewResolver(r.v, r.events) })
		})
		reused := NewResolver(r.v, r.events)
		b.Run("v"+string(id)+"/reused", func(b *testing.B) {
			benchResolve(b, r, func() *Resolver { return reused })
		})
	}
}

func benchResolve(b *testing.B, r *forkRoom, resolver func() *Resolver) {
	b.ReportAllocs()
	b.ReportMetric(float64(r.conflicted), "conflicted")
	if _, err := resolver().Resolve(r.sets); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; i++ {
		if _, err := resolver().Resolve(r.sets); err != nil {
			b.Fatal(err)
		}
	}
	// The machine is shared: CPU time per resolution, GC included, is
	// steadier than wall time under load.
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
}
