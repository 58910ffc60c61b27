package stateres

import (
	"testing"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// TestV1StopsAtFirstRefusal checks v1.md's power-levels pass: sorted by
// ascending depth, each event is taken while the rules allow it, and the
// pass stops at the first refusal, even if a later event would be allowed.
func TestV1StopsAtFirstRefusal(t *testing.T) {
	k := newKit(t, "1")
	base := k.baseRoom()
	k.power("$PA", "@alice:a", `{"users":{"@alice:a":100}}`, ids(createID, "$IMA", "$IPOWER"), "$IMZ")
	// Bob has no power: refused. Depth 9.
	k.power("$PX", "@bob:b", `{"users":{"@alice:a":100,"@bob:b":100}}`, ids(createID, "$IMB", "$PA"), "$PA")
	// Alice's, deeper still: would be allowed, but comes after the refusal.
	k.power("$PZ", "@alice:a", `{"users":{"@alice:a":100,"@zara:z":10}}`, ids(createID, "$IMA", "$PA"), "$PX")
	sets := []StateMap{k.with(base, "$PA"), k.with(base, "$PX"), k.with(base, "$PZ")}
	got, err := Resolve(k.v, sets, k.events)
	if err != nil {
		t.Fatal(err)
	}
	if got[keyPowerLevels] != "$PA" {
		t.Errorf("power levels = %s, want $PA (the pass stops at $PX's refusal)", got[keyPowerLevels])
	}
	// Without the refused event the pass reaches $PZ.
	got, err = Resolve(k.v, []StateMap{sets[0], sets[2]}, k.events)
	if err != nil {
		t.Fatal(err)
	}
	if got[keyPowerLevels] != "$PZ" {
		t.Errorf("power levels = %s, want $PZ", got[keyPowerLevels])
	}
}

// TestThreeForks resolves three state sets at once: each fork set a topic
// under the same power levels; v2 and v2.1 apply them by timestamp, so the
// latest wins, and a slot that one fork lacks is conflicted.
func TestThreeForks(t *testing.T) {
	for _, vid := range []version.ID{"2", "11", "12"} {
		k := newKit(t, vid)
		base := k.baseRoom()
		k.add(spec{ID: "$T1", Type: event.TypeTopic, StateKey: sk(""), Sender: "@alice:a", Auth: ids(createID, "$IMA", "$IPOWER"), TS: 300})
		k.add(spec{ID: "$T2", Type: event.TypeTopic, StateKey: sk(""), Sender: "@alice:a", Auth: ids(createID, "$IMA", "$IPOWER"), TS: 100})
		k.add(spec{ID: "$T3", Type: event.TypeTopic, StateKey: sk(""), Sender: "@alice:a", Auth: ids(createID, "$IMA", "$IPOWER"), TS: 200})
		k.member("$LZ", "@zara:z", "@zara:z", "leave", ids(createID, "$IPOWER", "$IMZ"), "$IMZ")
		sets := []StateMap{k.with(base, "$T1"), k.with(base, "$T2", "$LZ"), k.with(base, "$T3")}
		got, err := Resolve(k.v, sets, k.events)
		if err != nil {
			t.Fatal(err)
		}
		if got[event.StateKey{Type: event.TypeTopic}] != "$T1" {
			t.Errorf("v%s: topic = %s, want $T1 (latest timestamp)", vid, got[event.StateKey{Type: event.TypeTopic}])
		}
		if got[memberKey("@zara:z")] != "$LZ" {
			t.Errorf("v%s: zara = %s, want $LZ (her own leave is allowed)", vid, got[memberKey("@zara:z")])
		}
	}
}
