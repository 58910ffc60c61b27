package federation_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/signing"
	"github.com/axonhs/axon/rooms/version"
)

// joinFixture is a small room of res.example and a join of
// @j:join.example built on it.
type joinFixture struct {
	hs                     *federation.Handshake
	key                    signing.KeyPair
	v                      version.Spec
	roomID                 string
	create, member, pl, jr *event.Event
	extra                  []*event.Event // more member events, for benchmarks
	join                   *event.Event
}

func newJoinFixture(t testing.TB, joinRule string, members int) *joinFixture {
	t.Helper()
	f := &joinFixture{key: newKey(t, "res"), roomID: "!room:res.example"}
	f.v, _ = version.Lookup("11")
	pub := federation.NewPublisher("res.example", f.key, nil, time.Hour, nil)
	kr := federation.NewKeyring(federation.KeyringConfig{Fetcher: &publisherFetcher{servers: map[string]*federation.Publisher{"res.example": pub}}})
	f.hs = &federation.Handshake{Keyring: kr, ServerName: "join.example", Key: newKey(t, "join")}
	owner, empty := "@owner:res.example", ""
	f.create = f.build(t, "m.room.create", &empty, owner, `{"room_version":"11"}`, nil, nil, 1)
	f.member = f.build(t, "m.room.member", &owner, owner, `{"membership":"join"}`, []string{f.create.ID}, []string{f.create.ID}, 2)
	f.pl = f.build(t, "m.room.power_levels", &empty, owner, `{"users":{"`+owner+`":100}}`, []string{f.member.ID}, []string{f.create.ID, f.member.ID}, 3)
	f.jr = f.build(t, "m.room.join_rules", &empty, owner, `{"join_rule":"`+joinRule+`"}`, []string{f.pl.ID}, []string{f.create.ID, f.member.ID, f.pl.ID}, 4)
	prev := f.jr.ID
	for i := range members {
		u := fmt.Sprintf("@u%d:res.example", i)
		m := f.build(t, "m.room.member", &u, u, `{"membership":"join"}`, []string{prev}, []string{f.create.ID, f.pl.ID, f.jr.ID}, int64(5+i))
		f.extra = append(f.extra, m)
		prev = m.ID
	}
	j := "@j:join.example"
	var err error
	f.join, err = (&event.Proto{RoomID: f.roomID, Type: "m.room.member", StateKey: &j, Sender: j, Content: json.RawMessage(`{"membership":"join"}`),
		PrevEvents: []string{prev}, AuthEvents: []string{f.create.ID, f.pl.ID, f.jr.ID}, Depth: int64(5 + members), OriginServerTS: 1_700_000_000_000}).
		Build(f.v, "join.example", f.hs.Key)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *joinFixture) build(t testing.TB, typ string, sk *string, sender, content string, prev, auth []string, depth int64) *event.Event {
	t.Helper()
	ev, err := (&event.Proto{RoomID: f.roomID, Type: typ, StateKey: sk, Sender: sender, Content: json.RawMessage(content),
		PrevEvents: prev, AuthEvents: auth, Depth: depth, OriginServerTS: 1_700_000_000_000}).Build(f.v, "res.example", f.key)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func raws(evs ...*event.Event) []json.RawMessage {
	out := make([]json.RawMessage, len(evs))
	for i, e := range evs {
		out[i] = e.Raw
	}
	return out
}

func TestVerifyJoin(t *testing.T) {
	f := newJoinFixture(t, "public", 0)
	forged := func(ev *event.Event) json.RawMessage {
		var obj map[string]any
		_ = json.Unmarshal(ev.Raw, &obj)
		obj["signatures"] = map[string]any{"res.example": map[string]string{string(f.key.ID): strings.Repeat("A", 86)}}
		b, _ := json.Marshal(obj)
		return b
	}
	invite := newJoinFixture(t, "invite", 0)
	other := "!other:res.example"
	stranger, err := (&event.Proto{RoomID: other, Type: "m.room.message", Sender: "@owner:res.example", Content: json.RawMessage(`{}`),
		PrevEvents: []string{f.jr.ID}, AuthEvents: []string{f.create.ID}, Depth: 5, OriginServerTS: 1_700_000_000_000}).Build(f.v, "res.example", f.key)
	if err != nil {
		t.Fatal(err)
	}
	full := raws(f.create, f.member, f.pl, f.jr)
	cases := []struct {
		name         string
		fx           *joinFixture
		state, chain []json.RawMessage
		wantErr      string
	}{
		{"honest", f, full, raws(f.create, f.member, f.pl), ""},
		{"state only, auth chain inside it", f, full, nil, ""},
		{"forged signature", f, []json.RawMessage{f.create.Raw, f.member.Raw, f.pl.Raw, forged(f.jr)}, nil, "signature"},
		{"truncated auth chain", f, raws(f.create, f.member, f.jr), nil, "is missing"},
		{"event of another room", f, full, raws(stranger), "is of room"},
		{"no create event in the state", f, raws(f.member, f.pl, f.jr), raws(f.create), "no m.room.create in the state"},
		{"join refused by the state", invite, raws(invite.create, invite.member, invite.pl, invite.jr), nil, "not allowed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := c.fx.hs.VerifyJoin(context.Background(), c.fx.join, nil, c.state, c.chain)
			if c.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(res.State) != 4 || len(res.Servers) != 1 || res.Servers[0] != "res.example" || res.Join.ID != c.fx.join.ID {
					t.Fatalf("result: %d state events, servers %v", len(res.State), res.Servers)
				}
				return
			}
			if !errors.Is(err, federation.ErrBadJoinState) || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("got %v, want ErrBadJoinState with %q", err, c.wantErr)
			}
		})
	}
}

// BenchmarkVerifyJoin compares, on a send_join answer of a room with
// 2,000 members (2,004 state events, 4 in the auth chain): VerifyJoin
// (batched signatures, shared canonical form, auth of every event) with
// what it replaced, CheckPDU on every event on every processor (format,
// one signature at a time, content hash; no auth).
func BenchmarkVerifyJoin(b *testing.B) {
	f := newJoinFixture(b, "public", 2000)
	state := raws(append([]*event.Event{f.create, f.member, f.pl, f.jr}, f.extra...)...)
	chain := raws(f.create, f.member, f.pl, f.jr)
	ctx := context.Background()
	if _, err := f.hs.VerifyJoin(ctx, f.join, nil, state, chain); err != nil {
		b.Fatal(err)
	}
	events := float64(len(state) + len(chain))
	var cpu0 time.Duration
	perEvent := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/events, "ns/event")
		b.ReportMetric(float64((processCPU()-cpu0).Nanoseconds())/float64(b.N)/events, "cpu-ns/event")
	}
	b.Run("VerifyJoin", func(b *testing.B) {
		b.ReportAllocs()
		cpu0 = processCPU()
		for b.Loop() {
			if _, err := f.hs.VerifyJoin(ctx, f.join, nil, state, chain); err != nil {
				b.Fatal(err)
			}
		}
		perEvent(b)
	})
	b.Run("CheckPDU-parallel", func(b *testing.B) {
		b.ReportAllocs()
		cpu0 = processCPU()
		all := append(append([]json.RawMessage(nil), state...), chain...)
		for b.Loop() {
			var wg sync.WaitGroup
			var failed atomic.Bool
			next := make(chan json.RawMessage)
			for range runtime.GOMAXPROCS(0) {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for raw := range next {
						if _, err := federation.CheckPDU(ctx, f.hs.Keyring, raw, f.v); err != nil {
							failed.Store(true)
						}
					}
				}()
			}
			for _, raw := range all {
				next <- raw
			}
			close(next)
			wg.Wait()
			if failed.Load() {
				b.Fatal("CheckPDU failed")
			}
		}
		perEvent(b)
	})
}

// An event whose content was changed after it was hashed still carries
// valid signatures (they cover the redacted form), and is kept redacted,
// as CheckPDU keeps such a PDU.
func TestVerifyJoinKeepsAlteredEventRedacted(t *testing.T) {
	f := newJoinFixture(t, "public", 0)
	var obj map[string]any
	if err := json.Unmarshal(f.member.Raw, &obj); err != nil {
		t.Fatal(err)
	}
	obj["content"] = map[string]any{"membership": "join", "displayname": "added later"}
	altered, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	want, err := federation.CheckPDU(context.Background(), f.hs.Keyring, altered, f.v)
	if err != nil || !want.Redacted {
		t.Fatalf("CheckPDU: %v, redacted %v", err, want.Redacted)
	}
	res, err := f.hs.VerifyJoin(context.Background(), f.join, nil, []json.RawMessage{f.create.Raw, altered, f.pl.Raw, f.jr.Raw}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range res.State {
		if ev.ID == f.member.ID && string(ev.Raw) != string(want.Event.Raw) {
			t.Fatalf("kept %s, want the redacted %s", ev.Raw, want.Event.Raw)
		}
	}
}

// processCPU is the user and system CPU time of this process (getrusage),
// which counts every goroutine's work.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
