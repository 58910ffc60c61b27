package client

import "testing"

func TestSentMembersHas(t *testing.T) {
	dev := lazyDevice{userID: "@carol:hs", deviceID: "D"}
	other := lazyDevice{userID: "@carol:hs", deviceID: "E"}
	bob := lazyMember{roomID: "!r:hs", userID: "@bob:hs"}
	bobElsewhere := lazyMember{roomID: "!s:hs", userID: "@bob:hs"}
	tests := []struct {
		name  string
		dev   lazyDevice
		m     lazyMember
		nid   uint64
		since uint64
		want  bool
	}{
		{"sent before the token", dev, bob, 7, 10, true},
		{"sent at the token", dev, bob, 7, 5, true},
		{"sent after the token", dev, bob, 7, 4, false},
		{"a changed member event", dev, bob, 8, 10, false},
		{"another room", dev, bobElsewhere, 7, 10, false},
		{"another device", other, bob, 7, 10, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newSentMembers(8, 64)
			c.record(dev, bob, 7, 5)
			if got := c.has(tt.dev, tt.m, tt.nid, tt.since); got != tt.want {
				t.Fatalf("has = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSentMembersKeepsTheEarliestSend(t *testing.T) {
	dev := lazyDevice{userID: "@carol:hs", deviceID: "D"}
	bob := lazyMember{roomID: "!r:hs", userID: "@bob:hs"}
	c := newSentMembers(8, 64)
	c.record(dev, bob, 7, 5)
	c.record(dev, bob, 7, 9) // sent again from an older token
	if !c.has(dev, bob, 7, 6) {
		t.Fatal("a resend forgot the earlier send")
	}
	c.record(dev, bob, 8, 12) // bob's membership changed
	if c.has(dev, bob, 7, 20) || c.has(dev, bob, 8, 11) || !c.has(dev, bob, 8, 12) {
		t.Fatal("a changed member event did not replace the entry")
	}
}

func TestSentMembersForget(t *testing.T) {
	dev := lazyDevice{userID: "@carol:hs", deviceID: "D"}
	bob := lazyMember{roomID: "!r:hs", userID: "@bob:hs"}
	c := newSentMembers(8, 64)
	c.record(dev, bob, 7, 5)
	c.forget(dev)
	if c.has(dev, bob, 7, 10) {
		t.Fatal("forget kept an entry")
	}
	if c.total != 0 {
		t.Fatalf("total %d after forget", c.total)
	}
}

func TestSentMembersBounds(t *testing.T) {
	c := newSentMembers(4, 10)
	dev := func(i int) lazyDevice { return lazyDevice{userID: "@u:hs", deviceID: string(rune('A' + i))} }
	member := func(i int) lazyMember { return lazyMember{roomID: "!r:hs", userID: string(rune('a' + i))} }
	// One device over its bound loses its least recently used entries.
	for i := range 6 {
		c.record(dev(0), member(i), uint64(i), 1)
	}
	c.has(dev(0), member(2), 2, 1) // used: kept over 3
	c.record(dev(0), member(6), 6, 1)
	for i, want := range []bool{false, false, true, false, true, true, true} {
		if got := c.has(dev(0), member(i), uint64(i), 1); got != want {
			t.Fatalf("device 0 member %d: has = %v, want %v", i, got, want)
		}
	}
	// Over the total bound the least recently syncing devices go.
	for d := 1; d <= 3; d++ {
		for i := range 4 {
			c.record(dev(d), member(i), uint64(i), 1)
		}
	}
	if c.total > 10 {
		t.Fatalf("total %d over the bound 10", c.total)
	}
	if c.has(dev(0), member(6), 6, 1) || c.has(dev(1), member(0), 0, 1) {
		t.Fatal("the oldest devices were kept over the bound")
	}
	if !c.has(dev(3), member(0), 0, 1) || !c.has(dev(2), member(3), 3, 1) {
		t.Fatal("recent devices were dropped")
	}
}

// BenchmarkSentMembers measures one sync's check and record of a member
// event in a cache of many devices.
func BenchmarkSentMembers(b *testing.B) {
	c := newSentMembers(lazyMembersPerDevice, lazyMembersTotal)
	devs := make([]lazyDevice, 1000)
	for i := range devs {
		devs[i] = lazyDevice{userID: "@u:hs", deviceID: string(rune('A'+i%26)) + string(rune('a'+i/26))}
	}
	members := make([]lazyMember, 64)
	for i := range members {
		members[i] = lazyMember{roomID: "!r:hs", userID: string(rune('a' + i))}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		dev, m := devs[i%len(devs)], members[i%len(members)]
		if !c.has(dev, m, uint64(i%len(members)), uint64(i)) {
			c.record(dev, m, uint64(i%len(members)), uint64(i))
		}
		i++
	}
}
