package stateres

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// loadGraph numbers and expands every event of the kit.
func loadGraph(t *testing.T, k *kit) *graph {
	t.Helper()
	g := newGraph(k.v, k.events)
	roots, err := g.nodes(k.order)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.expand(roots); err != nil {
		t.Fatal(err)
	}
	if err := g.checkAcyclic(roots); err != nil {
		t.Fatal(err)
	}
	return g
}

func (g *graph) idsOf(ns []int32) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = g.evs[n].ID
	}
	return out
}

func (g *graph) setOf(t *testing.T, ids ...string) bitset {
	t.Helper()
	b := newBitset(g.len())
	for _, id := range ids {
		n, ok := g.index[id]
		if !ok {
			t.Fatalf("unknown event %s", id)
		}
		b.set(n)
	}
	return b
}

func TestAuthDifference(t *testing.T) {
	k := newKit(t, "11")
	base := k.baseRoom()
	k.power("$PA", "@alice:a", `{"users":{"@alice:a":100,"@bob:b":50}}`, ids(createID, "$IMA", "$IPOWER"), "$IMZ")
	k.topic("$TB", "@bob:b", "b", ids(createID, "$IMB", "$PA"), "$PA")
	k.member("$LC", "@charlie:c", "@charlie:c", "leave", ids(createID, "$IPOWER", "$IMC"), "$IMZ")
	k.add(spec{ID: "$NA", Type: event.TypeName, StateKey: sk(""), Sender: "@alice:a",
		Auth: ids(createID, "$IMA", "$IPOWER"), Prev: ids("$IMZ")})

	tests := []struct {
		name string
		sets []StateMap
		want []string
	}{
		{"identical sets", []StateMap{base, base}, nil},
		{"one set", []StateMap{base}, nil},
		// $PA is in the first set only through $TB's auth events; $LC
		// only in the second.
		{"fork", []StateMap{k.with(base, "$TB"), k.with(base, "$LC")}, ids("$LC", "$PA", "$TB")},
		// $NA sits in both sets: it is in both full chains although no
		// event cites it.
		{"shared uncited event", []StateMap{k.with(base, "$NA", "$TB"), k.with(base, "$NA")}, ids("$PA", "$TB")},
		{"three sets", []StateMap{k.with(base, "$TB"), k.with(base, "$LC"), base}, ids("$LC", "$PA", "$TB")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := AuthDifference(k.v, tc.sets, k.events)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("auth difference = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAuthChain(t *testing.T) {
	for _, vid := range []version.ID{"11", "12"} {
		k := newKit(t, vid)
		k.baseRoom()
		k.power("$PA", "@alice:a", `{"users":{"@alice:a":100,"@bob:b":50}}`, ids(createID, "$IMA", "$IPOWER"), "$IMZ")
		k.topic("$TB", "@bob:b", "b", ids(createID, "$IMB", "$PA"), "$PA")
		got, err := AuthChain(k.v, ids("$TB"), k.events)
		if err != nil {
			t.Fatal(err)
		}
		// In v12 $CREATE is cited by no event but implied by the room ID.
		want := ids(createID, "$IJR", "$IMA", "$IMB", "$IPOWER", "$PA")
		if !reflect.DeepEqual(got, want) {
			t.Errorf("v%s: auth chain of $TB = %v, want %v", vid, got, want)
		}
		got, err = AuthChain(k.v, ids("$TB", "$PA"), k.events)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("v%s: auth chain of $TB,$PA = %v, want %v ($PA is reached from $TB)", vid, got, want)
		}
	}
}

func TestReverseTopologicalPowerOrder(t *testing.T) {
	// Events of one graph with chosen senders and timestamps; levels are
	// given directly so that each tie-break is isolated.
	k := newKit(t, "11")
	k.create(createID, "@alice:a")
	at := func(id string, ts int64, auth ...string) {
		k.add(spec{ID: id, Type: event.TypeTopic, StateKey: sk(id), Sender: "@u:a", Auth: auth, TS: ts})
	}
	at("$hi_late", 30, createID)
	at("$lo_early", 10, createID)
	at("$mid_a", 20, createID)
	at("$mid_b", 20, createID)
	at("$mid_early", 5, createID)
	at("$child_of_lo", 1, createID, "$lo_early")
	g := loadGraph(t, k)
	level := make([]int64, g.len())
	set := func(id string, l int64) { level[g.index[id]] = l }
	set("$hi_late", 100)
	set("$lo_early", 0)
	set("$mid_a", 50)
	set("$mid_b", 50)
	set("$mid_early", 50)
	set("$child_of_lo", 100)

	tests := []struct {
		name   string
		events []string
		want   []string
	}{
		{"greater power first, whatever the timestamp", ids("$lo_early", "$hi_late"), ids("$hi_late", "$lo_early")},
		{"equal power: earlier timestamp first", ids("$mid_a", "$mid_early"), ids("$mid_early", "$mid_a")},
		{"equal power and timestamp: smaller event ID first", ids("$mid_b", "$mid_a"), ids("$mid_a", "$mid_b")},
		// $child_of_lo has the greatest power and the earliest timestamp,
		// but cites $lo_early, which must come before it.
		{"auth events before the events citing them", ids("$child_of_lo", "$lo_early", "$mid_a"), ids("$mid_a", "$lo_early", "$child_of_lo")},
		{"all", ids("$hi_late", "$lo_early", "$mid_a", "$mid_b", "$mid_early", "$child_of_lo"),
			ids("$hi_late", "$mid_early", "$mid_a", "$mid_b", "$lo_early", "$child_of_lo")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := g.idsOf(g.reverseTopologicalPowerOrder(g.setOf(t, tc.events...), level))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("order = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSenderLevels(t *testing.T) {
	for _, vid := range []version.ID{"1", "11", "12"} {
		k := newKit(t, vid)
		k.baseRoom()
		k.power("$PA", "@alice:a", `{"users":{"@alice:a":100,"@bob:b":50},"users_default":10}`, ids(createID, "$IMA", "$IPOWER"), "$IMZ")
		k.topic("$TB", "@bob:b", "b", ids(createID, "$IMB", "$PA"), "$PA")
		k.topic("$TC", "@charlie:c", "c", ids(createID, "$IMC", "$PA"), "$PA")
		k.topic("$TA", "@alice:a", "a", ids(createID, "$IMA", "$PA"), "$PA")
		g := loadGraph(t, k)
		r := &Resolver{v: k.v, g: g}
		level := r.senderLevels(g.setOf(t, "$TB", "$TC", "$TA", "$IMA", "$IMB"))
		want := map[string]int64{
			"$TB": 50, "$TC": 10, "$TA": 100,
			// $IMA cites no power levels: the creator has 100 (v1–v11).
			"$IMA": 100,
			// $IMB cites $IPOWER, which does not list bob.
			"$IMB": 0,
		}
		if k.v.PrivilegedCreators {
			want["$TA"], want["$IMA"] = 1<<63-1, 1<<63-1 // v12 creators rank above every level
		}
		for id, l := range want {
			if got := level[g.index[id]]; got != l {
				t.Errorf("v%s: level of %s's sender = %d, want %d", vid, id, got, l)
			}
		}
	}
}

func TestMainlineOrder(t *testing.T) {
	k := newKit(t, "11")
	k.baseRoom()
	p := `{"users":{"@alice:a":100,"@bob:b":50}}`
	k.power("$P1", "@alice:a", p, ids(createID, "$IMA", "$IPOWER"), "$IMZ")
	k.power("$P2", "@alice:a", p, ids(createID, "$IMA", "$P1"), "$P1")
	k.power("$PSIDE", "@alice:a", p, ids(createID, "$IMA", "$P1"), "$P1") // off the mainline, on $P1
	mk := func(id string, ts int64, pl ...string) {
		k.add(spec{ID: id, Type: event.TypeTopic, StateKey: sk(id), Sender: "@bob:b",
			Auth: append(ids(createID, "$IMB"), pl...), TS: ts})
	}
	mk("$on_p2", 1)
	k.events["$on_p2"].AuthEvents = append(k.events["$on_p2"].AuthEvents, "$P2")
	mk("$on_p1", 2, "$P1")
	mk("$on_side", 3, "$PSIDE") // position of $P1, reached through $PSIDE
	mk("$on_base", 4, "$IPOWER")
	mk("$none", 5) // no power levels at all: infinite position
	mk("$on_p1_later", 6, "$P1")
	mk("$on_p1_same_ts_a", 7, "$P1")
	mk("$on_p1_same_ts_b", 7, "$P1")
	g := loadGraph(t, k)
	all := []int32{}
	for _, id := range ids("$on_p1_same_ts_b", "$on_p2", "$on_p1", "$on_side", "$on_base", "$none", "$on_p1_later", "$on_p1_same_ts_a") {
		all = append(all, g.index[id])
	}
	got := g.idsOf(g.mainlineOrder(all, g.index["$P2"]))
	want := ids("$none", "$on_base", "$on_p1", "$on_side", "$on_p1_later", "$on_p1_same_ts_a", "$on_p1_same_ts_b", "$on_p2")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("mainline order = %v\nwant %v", got, want)
	}
	// Without power levels in the partial state every position is infinite:
	// timestamps and IDs decide.
	got = g.idsOf(g.mainlineOrder(all, -1))
	want = ids("$on_p2", "$on_p1", "$on_side", "$on_base", "$none", "$on_p1_later", "$on_p1_same_ts_a", "$on_p1_same_ts_b")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("mainline order without power levels = %v\nwant %v", got, want)
	}
}

func TestConflictedSubgraph(t *testing.T) {
	// a <- b <- c <- d, and e off to the side citing b; x unrelated.
	k := newKit(t, "12")
	k.create(createID, "@alice:a")
	add := func(id string, auth ...string) {
		k.add(spec{ID: id, Type: event.TypeTopic, StateKey: sk(id), Sender: "@alice:a", Auth: auth})
	}
	add("$a")
	add("$b", "$a")
	add("$c", "$b")
	add("$d", "$c")
	add("$e", "$b")
	add("$x")
	g := loadGraph(t, k)
	tests := []struct {
		conflicted, want []string
	}{
		{ids("$d", "$a"), ids("$a", "$b", "$c", "$d")},
		{ids("$d", "$b"), ids("$b", "$c", "$d")},
		{ids("$d", "$e"), ids("$d", "$e")}, // no path between them
		{ids("$d", "$e", "$a"), ids("$a", "$b", "$c", "$d", "$e")},
		{ids("$x", "$d"), ids("$d", "$x")},
	}
	for _, tc := range tests {
		var c []int32
		for _, id := range tc.conflicted {
			c = append(c, g.index[id])
		}
		if got := g.sortedIDs(g.conflictedSubgraph(c)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("subgraph of %v = %v, want %v", tc.conflicted, got, tc.want)
		}
	}
}

func TestIsPowerEvent(t *testing.T) {
	mk := func(typ string, key *string, sender, content string) *event.Event {
		return &event.Event{Type: typ, StateKey: key, Sender: sender, Content: json.RawMessage(content)}
	}
	tests := []struct {
		name string
		ev   *event.Event
		want bool
	}{
		{"power levels", mk(event.TypePowerLevels, sk(""), "@a:a", `{}`), true},
		{"join rules", mk(event.TypeJoinRules, sk(""), "@a:a", `{}`), true},
		{"kick", mk(event.TypeMember, sk("@b:b"), "@a:a", `{"membership":"leave"}`), true},
		{"ban", mk(event.TypeMember, sk("@b:b"), "@a:a", `{"membership":"ban"}`), true},
		{"own leave", mk(event.TypeMember, sk("@a:a"), "@a:a", `{"membership":"leave"}`), false},
		{"invite", mk(event.TypeMember, sk("@b:b"), "@a:a", `{"membership":"invite"}`), false},
		{"membership not a string", mk(event.TypeMember, sk("@b:b"), "@a:a", `{"membership":7}`), false},
		{"topic", mk(event.TypeTopic, sk(""), "@a:a", `{}`), false},
		{"create", mk(event.TypeCreate, sk(""), "@a:a", `{}`), false},
		{"message", mk(event.TypePowerLevels, nil, "@a:a", `{}`), false},
	}
	for _, tc := range tests {
		if got := isPowerEvent(tc.ev); got != tc.want {
			t.Errorf("%s: isPowerEvent = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestSeparate(t *testing.T) {
	key := func(s string) event.StateKey { return event.StateKey{Type: "t", StateKey: s} }
	sets := []StateMap{
		{key("same"): "$1", key("diff"): "$2", key("only0"): "$3"},
		{key("same"): "$1", key("diff"): "$4"},
	}
	v2 := separateV2(sets)
	if !reflect.DeepEqual(v2.unconflicted, StateMap{key("same"): "$1"}) {
		t.Errorf("v2 unconflicted = %v", v2.unconflicted)
	}
	wantC := map[event.StateKey][]string{key("diff"): ids("$2", "$4"), key("only0"): ids("$3")}
	if !reflect.DeepEqual(v2.conflicted, wantC) {
		t.Errorf("v2 conflicted = %v, want %v", v2.conflicted, wantC)
	}
	v1 := separateV1(sets)
	if !reflect.DeepEqual(v1.unconflicted, StateMap{key("same"): "$1", key("only0"): "$3"}) {
		t.Errorf("v1 unconflicted = %v", v1.unconflicted)
	}
	if !reflect.DeepEqual(v1.conflicted, map[event.StateKey][]string{key("diff"): ids("$2", "$4")}) {
		t.Errorf("v1 conflicted = %v", v1.conflicted)
	}
}

func TestResolveTrivial(t *testing.T) {
	k := newKit(t, "11")
	base := k.baseRoom()
	got, err := Resolve(k.v, nil, k.events)
	if err != nil || len(got) != 0 {
		t.Errorf("no sets: %v, %v; want empty state", got, err)
	}
	got, err = Resolve(k.v, []StateMap{base}, k.events)
	if err != nil || !sameState(got, base) {
		t.Errorf("one set: %v, %v; want it back", got, err)
	}
	got[memberKey("@bob:b")] = "$changed"
	if base[memberKey("@bob:b")] != "$IMB" {
		t.Error("the result of one set aliases the input")
	}
}

func TestResolveErrors(t *testing.T) {
	setup := func(vid version.ID) (*kit, StateMap) {
		k := newKit(t, vid)
		base := k.baseRoom()
		k.topic("$T1", "@alice:a", "1", ids(createID, "$IMA", "$IPOWER"), "$IMZ")
		k.topic("$T2", "@alice:a", "2", ids(createID, "$IMA", "$IPOWER"), "$IMZ")
		return k, base
	}
	tests := []struct {
		name string
		vid  version.ID
		edit func(k *kit, base StateMap) []StateMap
		want error
	}{
		{"missing state event", "11", func(k *kit, base StateMap) []StateMap {
			delete(k.events, "$T2")
			return []StateMap{k.with(base, "$T1"), k.with(base, "$T1")}
		}, nil},
		{"missing conflicted event", "11", func(k *kit, base StateMap) []StateMap {
			s2 := k.with(base, "$T2")
			delete(k.events, "$T2")
			return []StateMap{k.with(base, "$T1"), s2}
		}, ErrMissingEvent},
		{"missing auth event", "11", func(k *kit, base StateMap) []StateMap {
			s := []StateMap{k.with(base, "$T1"), k.with(base, "$T2")}
			delete(k.events, "$IJR")
			return s
		}, ErrMissingEvent},
		{"missing conflicted event v1", "1", func(k *kit, base StateMap) []StateMap {
			s2 := k.with(base, "$T2")
			delete(k.events, "$T2")
			return []StateMap{k.with(base, "$T1"), s2}
		}, ErrMissingEvent},
		{"missing v12 create event", "12", func(k *kit, base StateMap) []StateMap {
			s := []StateMap{k.with(base, "$T1"), k.with(base, "$T2")}
			delete(k.events, createID)
			return s
		}, ErrMissingEvent},
		{"cycle", "11", func(k *kit, base StateMap) []StateMap {
			// $IPOWER -> $IMA -> $CREATE -> $IPOWER
			k.events[createID].AuthEvents = ids("$IPOWER")
			return []StateMap{k.with(base, "$T1"), k.with(base, "$T2")}
		}, ErrCycle},
		{"self-citing event", "12", func(k *kit, base StateMap) []StateMap {
			k.events["$T2"].AuthEvents = append(k.events["$T2"].AuthEvents, "$T2")
			return []StateMap{k.with(base, "$T1"), k.with(base, "$T2")}
		}, ErrCycle},
		{"event in the wrong slot", "11", func(k *kit, base StateMap) []StateMap {
			s2 := k.with(base)
			s2[event.StateKey{Type: event.TypeName}] = "$T2"
			return []StateMap{k.with(base, "$T1"), s2}
		}, ErrBadInput},
		{"event in the wrong slot v1", "1", func(k *kit, base StateMap) []StateMap {
			s1, s2 := k.with(base), k.with(base)
			s1[event.StateKey{Type: event.TypeName}] = "$T1"
			s2[event.StateKey{Type: event.TypeName}] = "$T2"
			return []StateMap{s1, s2}
		}, ErrBadInput},
		{"event of another room", "11", func(k *kit, base StateMap) []StateMap {
			k.events["$T2"].RoomID = "!other:a"
			return []StateMap{k.with(base, "$T1"), k.with(base, "$T2")}
		}, ErrBadInput},
		{"event of another room version", "11", func(k *kit, base StateMap) []StateMap {
			k.events["$T2"].Version, _ = version.Lookup("10")
			return []StateMap{k.with(base, "$T1"), k.with(base, "$T2")}
		}, ErrBadInput},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, base := setup(tc.vid)
			sets := tc.edit(k, base)
			_, err := Resolve(k.v, sets, k.events)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("error = %v, want %v", err, tc.want)
			}
		})
	}
	k, base := setup("11")
	bogus := k.v
	bogus.StateRes = 99
	if _, err := Resolve(bogus, []StateMap{base, k.with(base, "$T1")}, k.events); !errors.Is(err, ErrUnsupported) {
		t.Errorf("unknown algorithm: error = %v, want ErrUnsupported", err)
	}
}

// rejecting wraps an EventMap and marks some events rejected.
type rejecting struct {
	EventMap
	rejected map[string]bool
}

func (r rejecting) Rejected(id string) bool { return r.rejected[id] }

func TestRejectedAuthEventsAreNotUsed(t *testing.T) {
	// Bob's topic cites $PA, which gave him 50. Resolved on its own auth
	// events it passes; when $PA is known to be rejected it must not count,
	// and $IPOWER (bob at 0) from the partial state decides.
	for _, vid := range []version.ID{"11", "12"} {
		k := newKit(t, vid)
		base := k.baseRoom()
		k.power("$PA", "@alice:a", `{"users":{"@alice:a":100,"@bob:b":50}}`, ids(createID, "$IMA", "$IPOWER"), "$IMZ")
		k.topic("$TB", "@bob:b", "b", ids(createID, "$IMB", "$PA"), "$PA")
		k.topic("$TA", "@alice:a", "a", ids(createID, "$IMA", "$IPOWER"), "$IMZ")
		sets := []StateMap{k.with(base, "$TA"), k.with(base, "$TB")}
		got, err := Resolve(k.v, sets, rejecting{k.events, nil})
		if err != nil {
			t.Fatal(err)
		}
		if got[event.StateKey{Type: event.TypeTopic}] != "$TB" {
			t.Errorf("v%s: topic = %s, want $TB", vid, got[event.StateKey{Type: event.TypeTopic}])
		}
		got, err = Resolve(k.v, sets, rejecting{k.events, map[string]bool{"$PA": true}})
		if err != nil {
			t.Fatal(err)
		}
		if got[event.StateKey{Type: event.TypeTopic}] != "$TA" {
			t.Errorf("v%s with $PA rejected: topic = %s, want $TA", vid, got[event.StateKey{Type: event.TypeTopic}])
		}
	}
}
