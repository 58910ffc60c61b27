package persistence

import (
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

func TestAliasLifecycle(t *testing.T) {
	fs := vfs.NewMem()
	s := openMem(t, fs)
	if _, err := s.ResolveAlias("#a:hs"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown alias: %v", err)
	}
	for _, a := range []Alias{{Alias: "#a:hs", RoomID: "!r1:hs", Creator: "@u:hs"}, {Alias: "#b:hs", RoomID: "!r1:hs"}, {Alias: "#c:hs", RoomID: "!r12:hs"}} {
		if err := s.PutAlias(a); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutAlias(Alias{Alias: "#a:hs", RoomID: "!r1:hs"}); !errors.Is(err, ErrAliasInUse) {
		t.Fatalf("second put: %v", err)
	}
	// "!r1:hs" is a prefix of "!r12:hs": the index must not mix them.
	if got, _ := s.RoomAliases("!r1:hs"); !slices.Equal(got, []string{"#a:hs", "#b:hs"}) {
		t.Fatalf("aliases of r1: %v", got)
	}
	moved, err := s.MoveAliases("!r1:hs", "!new:hs")
	if err != nil || len(moved) != 2 {
		t.Fatalf("move: %v %v", moved, err)
	}
	s.Close()
	s = openMem(t, fs)
	defer s.Close()
	a, err := s.ResolveAlias("#a:hs")
	if err != nil || a.RoomID != "!new:hs" || a.Creator != "@u:hs" || a.Alias != "#a:hs" {
		t.Fatalf("after move and reopen: %+v %v", a, err)
	}
	if got, _ := s.RoomAliases("!r1:hs"); len(got) != 0 {
		t.Fatalf("old room keeps %v", got)
	}
	if err := s.DeleteAlias("#a:hs"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteAlias("#a:hs"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if got, _ := s.RoomAliases("!new:hs"); !slices.Equal(got, []string{"#b:hs"}) {
		t.Fatalf("after delete: %v", got)
	}
}

func TestPutAliasRacesHaveOneWinner(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if s.PutAlias(Alias{Alias: "#x:hs", RoomID: string(rune('a' + i))}) == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d winners", wins)
	}
}

func TestDirectoryReportsAndForgotten(t *testing.T) {
	s := openMem(t, vfs.NewMem())
	defer s.Close()
	for _, id := range []string{"!b:hs", "!a:hs", "!c:hs"} {
		if err := s.SetPublished(id, true); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetPublished("!c:hs", false); err != nil {
		t.Fatal(err)
	}
	got, err := s.PublishedRooms()
	if err != nil || !slices.Equal(got, []string{"!a:hs", "!b:hs"}) {
		t.Fatalf("published: %v %v", got, err)
	}
	if ok, _ := s.Published("!c:hs"); ok {
		t.Fatal("withdrawn room still published")
	}

	score := -100
	for i, r := range []Report{{RoomID: "!a:hs", EventID: "$e", UserID: "@u:hs", Reason: "spam", Score: &score}, {RoomID: "!b:hs", UserID: "@v:hs"}} {
		id, err := s.AddReport(r)
		if err != nil || id != uint64(i+1) {
			t.Fatalf("report %d: id %d %v", i, id, err)
		}
	}
	reps, err := s.Reports(0, 10)
	if err != nil || len(reps) != 2 || reps[0].Reason != "spam" || *reps[0].Score != -100 || reps[1].ID != 2 {
		t.Fatalf("reports: %+v %v", reps, err)
	}
	if reps, _ := s.Reports(1, 10); len(reps) != 1 || reps[0].RoomID != "!b:hs" {
		t.Fatalf("after 1: %+v", reps)
	}

	b := s.NewBatch()
	b.SetForgotten("@u:hs", "!a:hs", true)
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Forgotten("@u:hs", "!a:hs"); !ok {
		t.Fatal("not forgotten")
	}
	if ok, _ := s.Forgotten("@u:hs", "!b:hs"); ok {
		t.Fatal("other room forgotten")
	}
}
