package stateres

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// update rewrites testdata/*/expected.json from what Resolve computes. It
// never touches the hand-written "assert" sections of scenario.json, which
// state what the spec requires and must hold whatever -update wrote.
var update = flag.Bool("update", false, "rewrite testdata/*/expected.json from computed results")

// scenario is testdata/<name>/scenario.json.
type scenario struct {
	// Proves says, in one sentence, what the scenario shows.
	Proves string `json:"proves"`
	// Versions lists the room versions to resolve in; empty means all.
	Versions []version.ID `json:"versions"`
	// Events is the DAG, in the kit's format (see kit_test.go).
	Events []spec `json:"events"`
	// StateSets are the states to resolve, as lists of event IDs.
	StateSets [][]string `json:"state_sets"`
	// Assert maps "type|state_key" to the event ID the spec requires in the
	// resolved state ("" for an empty slot), per algorithm: "all", "v1",
	// "v2", "v2.1"; a more specific entry overrides "all".
	Assert map[string]map[string]string `json:"assert"`
}

func slotName(k event.StateKey) string { return k.Type + "|" + k.StateKey }

func algorithmName(v version.Spec) string {
	switch v.StateRes {
	case version.StateResV1:
		return "v1"
	case version.StateResV2:
		return "v2"
	default:
		return "v2.1"
	}
}

func TestScenarios(t *testing.T) {
	dirs, err := filepath.Glob("testdata/*/scenario.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no scenarios under testdata")
	}
	for _, path := range dirs {
		dir := filepath.Dir(path)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			runScenario(t, dir)
		})
	}
}

func runScenario(t *testing.T, dir string) {
	raw, err := os.ReadFile(filepath.Join(dir, "scenario.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sc scenario
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sc); err != nil {
		t.Fatalf("scenario.json: %v", err)
	}
	if sc.Proves == "" {
		t.Fatal("scenario.json: say what the scenario proves")
	}
	versions := sc.Versions
	if len(versions) == 0 {
		for _, v := range version.All() {
			versions = append(versions, v.ID)
		}
	}

	got := map[version.ID]map[string]string{}
	for _, vid := range versions {
		k := newKit(t, vid)
		for _, s := range sc.Events {
			k.add(s)
		}
		var sets []StateMap
		for _, ids := range sc.StateSets {
			sets = append(sets, k.state(ids...))
		}
		resolved, err := Resolve(k.v, sets, k.events)
		if err != nil {
			t.Fatalf("room version %s: %v", vid, err)
		}
		named := map[string]string{}
		for key, id := range resolved {
			named[slotName(key)] = id
		}
		got[vid] = named

		want := map[string]string{}
		for slot, id := range sc.Assert["all"] {
			want[slot] = id
		}
		for slot, id := range sc.Assert[algorithmName(k.v)] {
			want[slot] = id
		}
		for slot, id := range want {
			if named[slot] != id {
				t.Errorf("room version %s (%s): slot %s = %q, the spec requires %q",
					vid, algorithmName(k.v), slot, named[slot], id)
			}
		}
		// Resolution must not depend on the order of the state sets.
		reversed := append([]StateMap(nil), sets...)
		sort.SliceStable(reversed, func(i, j int) bool { return i > j })
		again, err := Resolve(k.v, reversed, k.events)
		if err != nil {
			t.Fatalf("room version %s, sets reversed: %v", vid, err)
		}
		if !sameState(resolved, again) {
			t.Errorf("room version %s: result depends on the order of the state sets", vid)
		}
	}

	goldenPath := filepath.Join(dir, "expected.json")
	if *update {
		if t.Failed() {
			t.Fatal("not updating expected.json: the spec's assertions fail")
		}
		out, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenPath, append(out, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	rawWant, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	var golden map[version.ID]map[string]string
	if err := json.Unmarshal(rawWant, &golden); err != nil {
		t.Fatalf("expected.json: %v", err)
	}
	for _, vid := range versions {
		diffStates(t, string(vid), golden[vid], got[vid])
	}
}

func sameState(a, b StateMap) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// diffStates reports every slot where got differs from want.
func diffStates(t *testing.T, label string, want, got map[string]string) {
	t.Helper()
	slots := map[string]bool{}
	for s := range want {
		slots[s] = true
	}
	for s := range got {
		slots[s] = true
	}
	var names []string
	for s := range slots {
		names = append(names, s)
	}
	sort.Strings(names)
	for _, s := range names {
		if want[s] != got[s] {
			t.Errorf("room version %s: slot %s = %q, expected.json has %q", label, s, got[s], want[s])
		}
	}
}
