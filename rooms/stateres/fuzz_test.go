package stateres

import (
	"errors"
	"fmt"
	"testing"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// FuzzResolve builds a small room from the input — events of random types,
// senders and auth events, possibly citing later events (cycles) — splits
// them over two state sets and resolves them. Resolution must not panic or
// hang, must fail only with ErrCycle or ErrMissingEvent, must not depend on
// the order of the sets or on reusing a Resolver, and must keep every slot
// the sets agree on (v2, v2.1).
func FuzzResolve(f *testing.F) {
	f.Add([]byte{1, 0, 0, 1, 0x0f, 10, 1, 3, 1, 2, 0x1f, 20, 2})
	f.Add([]byte{2, 4, 0, 1, 0x07, 5, 3, 5, 1, 0, 0x03, 5, 3, 6, 2, 0, 0x0b, 9, 1})
	f.Add([]byte{0, 2, 1, 1, 0x80, 1, 3, 1, 0, 0, 0x01, 1, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 1 {
			return
		}
		vid := []version.ID{"1", "11", "12"}[int(data[0])%3]
		data = data[1:]
		k := newKit(t, vid)
		base := k.baseRoom()
		users := []string{"@alice:a", "@bob:b", "@charlie:c", "@zara:z"}
		s1, s2 := k.with(base), k.with(base)
		var made []string
		const size = 6
		for i := 0; len(data) >= size && i < 16; i, data = i+1, data[size:] {
			kind, sender, target, mask, ts, sets := data[0], users[int(data[1])%len(users)], users[int(data[2])%len(users)], data[3], int64(data[4]), data[5]
			id := fmt.Sprintf("$f%02d", i)
			// Auth events: the base room's, then bits of mask pick earlier
			// fuzz events; bit 7 cites the next event, which may close a
			// cycle.
			auth := ids(createID, "$IPOWER", "$IJR", "$IMA", "$IMB", "$IMC", "$IMZ")
			for b := 0; b < 7 && b < len(made); b++ {
				if mask&(1<<b) != 0 {
					auth = append(auth, made[len(made)-1-b])
				}
			}
			if mask&0x80 != 0 {
				auth = append(auth, fmt.Sprintf("$f%02d", i+1))
			}
			s := spec{ID: id, Sender: sender, Auth: auth, TS: 1000 + ts}
			switch kind % 7 {
			case 0, 1, 2:
				s.Type, s.StateKey = event.TypeMember, sk(target)
				s.Content = []byte(`{"membership":"` + []string{"join", "leave", "ban"}[kind%3] + `"}`)
			case 3:
				s.Type, s.StateKey = event.TypePowerLevels, sk("")
				s.Content = []byte(`{"users":{"@alice:a":100,"` + target + `":` + fmt.Sprint(int(kind)%101) + `}}`)
			case 4:
				s.Type, s.StateKey = event.TypeJoinRules, sk("")
				s.Content = []byte(`{"join_rule":"` + []string{"public", "invite"}[kind%2] + `"}`)
			default:
				s.Type, s.StateKey = event.TypeTopic, sk("")
				s.Content = []byte(`{"topic":"t"}`)
			}
			ev := k.add(s)
			made = append(made, id)
			if sets&1 != 0 {
				s1[ev.Key()] = id
			}
			if sets&2 != 0 {
				s2[ev.Key()] = id
			}
		}
		// An event citing the event after the last one cites a missing
		// event.
		got, err := Resolve(k.v, []StateMap{s1, s2}, k.events)
		if err != nil {
			if !errors.Is(err, ErrCycle) && !errors.Is(err, ErrMissingEvent) {
				t.Fatalf("unexpected error: %v", err)
			}
			return
		}
		// A reused Resolver, given the sets the other way round, must agree.
		r := NewResolver(k.v, k.events)
		for i, sets := range [][]StateMap{{s1, s2}, {s2, s1}} {
			again, err := r.Resolve(sets)
			if err != nil {
				t.Fatalf("reused Resolver, call %d: %v", i, err)
			}
			if !sameState(got, again) {
				t.Fatalf("reused Resolver, call %d, disagrees:\n%v\n%v", i, got, again)
			}
		}
		if k.v.StateRes != version.StateResV1 {
			for key, id := range s1 {
				if s2[key] == id && got[key] != id {
					t.Fatalf("unconflicted slot %v = %s, resolved to %s", key, id, got[key])
				}
			}
		}
	})
}
