package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/persistence"
)

func TestFlowStages(t *testing.T) {
	flows := [][]string{{"a", "b"}, {"c"}}
	tests := []struct {
		completed []string
		stage     string
		allowed   bool
	}{
		{nil, "a", true},
		{nil, "c", true},
		{nil, "b", false},
		{[]string{"a"}, "b", true},
		{[]string{"a"}, "c", false},
		{[]string{"a", "b"}, "a", false},
	}
	for _, tc := range tests {
		if got := nextStageAllowed(flows, tc.completed, tc.stage); got != tc.allowed {
			t.Errorf("after %v, %s allowed = %v, want %v", tc.completed, tc.stage, got, tc.allowed)
		}
	}
	if flowDone([]string{"a", "b"}, []string{"a"}) || !flowDone([]string{"a", "b"}, []string{"a", "b"}) {
		t.Error("flowDone wrong")
	}
}

func testAPI(t *testing.T, now func() time.Time) (*API, *persistence.Store) {
	t.Helper()
	st, err := persistence.Open(t.TempDir(), persistence.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return New(Config{ServerName: "hs", Store: st, BcryptCost: 4, Now: now}), st
}

func uiaError(t *testing.T, err error) *axhttp.Error {
	t.Helper()
	var me *axhttp.Error
	if !errors.As(err, &me) {
		t.Fatalf("not a Matrix error: %v", err)
	}
	return me
}

// A two-stage flow: each step answers 401 with what is completed, until the
// last stage; a failed stage carries its errcode; a session cannot be
// reused for another request.
func TestInteractiveTwoStages(t *testing.T) {
	a, _ := testAPI(t, nil)
	flows := [][]string{{stageDummy, stagePassword}}
	check := func(stage string, auth authDict, _ *uiaSession) error {
		if stage == stagePassword && auth.Password != "ok" {
			return axhttp.Errorf(axhttp.CodeForbidden, "bad password")
		}
		return nil
	}
	_, err := a.interactive(nil, "p", flows, check)
	me := uiaError(t, err)
	sess, _ := me.Extra["session"].(string)
	if me.Status != 401 || me.Code != "" || sess == "" {
		t.Fatalf("challenge = %+v", me)
	}
	step := func(typ, pw string) error {
		raw, _ := json.Marshal(map[string]string{"type": typ, "session": sess, "password": pw})
		_, err := a.interactive(raw, "p", flows, check)
		return err
	}
	if me := uiaError(t, step(stagePassword, "ok")); me.Code != axhttp.CodeUnrecognized || me.Status != 401 {
		t.Fatalf("out-of-order stage = %+v", me)
	}
	me = uiaError(t, step(stageDummy, ""))
	if c, _ := me.Extra["completed"].([]string); me.Status != 401 || len(c) != 1 || c[0] != stageDummy {
		t.Fatalf("after dummy = %+v", me)
	}
	if me := uiaError(t, step(stagePassword, "bad")); me.Code != axhttp.CodeForbidden || me.Status != 401 {
		t.Fatalf("failed stage = %+v", me)
	}
	raw, _ := json.Marshal(map[string]string{"type": stagePassword, "session": sess, "password": "ok"})
	if _, err := a.interactive(raw, "other request", flows, check); uiaError(t, err).Code != axhttp.CodeForbidden {
		t.Fatalf("session reused for another request: %v", err)
	}
	s, err := a.interactive(raw, "p", flows, check)
	if err != nil || s.id != sess {
		t.Fatalf("final stage = %v, %v", s, err)
	}
	// The request failed after authentication: a retry on the same
	// session passes without repeating any stage.
	again, _ := json.Marshal(map[string]string{"session": sess})
	if s, err := a.interactive(again, "p", flows, check); err != nil || s.id != sess {
		t.Fatalf("retry on a completed session = %v, %v", s, err)
	}
	a.uia.finish(sess)
	if _, err := a.interactive(again, "p", flows, check); uiaError(t, err).Status != 400 {
		t.Fatalf("finished session still usable: %v", err)
	}
}

func TestInteractiveUnknownSessionAndBadAuth(t *testing.T) {
	a, _ := testAPI(t, nil)
	_, err := a.interactive(json.RawMessage(`{"type":"m.login.dummy","session":"nope"}`), "p", [][]string{{stageDummy}}, nil)
	if me := uiaError(t, err); me.Status != 400 || me.Code != axhttp.CodeUnknown {
		t.Fatalf("unknown session = %+v", me)
	}
	_, err = a.interactive(json.RawMessage(`{"type":5}`), "p", [][]string{{stageDummy}}, nil)
	if me := uiaError(t, err); me.Code != axhttp.CodeBadJSON {
		t.Fatalf("bad auth = %+v", me)
	}
}

// An expired session gives its reserved registration-token use back.
func TestExpiredSessionReleasesRegistrationToken(t *testing.T) {
	var mu sync.Mutex
	now := time.Unix(1000, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	a, st := testAPI(t, clock)
	one := 1
	if err := st.PutRegistrationToken("tok", persistence.RegistrationToken{UsesAllowed: &one}); err != nil {
		t.Fatal(err)
	}
	raw := json.RawMessage(`{"type":"m.login.registration_token","token":"tok"}`)
	s, err := a.interactive(raw, "register", [][]string{{stageRegToken}}, a.checkRegistrationStage)
	if err != nil {
		t.Fatal(err)
	}
	if tok, _ := st.RegistrationToken("tok"); tok.Pending != 1 || tok.Valid(now.UnixMilli()) {
		t.Fatalf("after reserving: %+v", tok)
	}
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	if a.uia.get(s.id) != nil {
		t.Fatal("expired session still served")
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		tok, _ := st.RegistrationToken("tok")
		if tok.Pending == 0 && tok.Valid(clock().UnixMilli()) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("use not released: %+v", tok)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSessionTableIsBounded(t *testing.T) {
	now := time.Unix(0, 0)
	var expired int
	u := newUIASessions(3, time.Minute, func() time.Time { return now }, func(*uiaSession) { expired++ })
	for i := range 10 {
		u.create(fmt.Sprint(i))
		now = now.Add(time.Second)
	}
	if len(u.m) != 3 || expired != 7 {
		t.Fatalf("%d sessions held, %d dropped", len(u.m), expired)
	}
}
