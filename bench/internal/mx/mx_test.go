package mx

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestErrorsAndCodes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/limited":
			w.WriteHeader(429)
			io.WriteString(w, `{"errcode":"M_LIMIT_EXCEEDED","error":"slow down","retry_after_ms":1500}`)
		case "/forbidden":
			w.WriteHeader(403)
			io.WriteString(w, `{"errcode":"M_FORBIDDEN","error":"no"}`)
		case "/plain":
			w.WriteHeader(502)
			io.WriteString(w, "<html>bad gateway</html>")
		case "/garbage":
			io.WriteString(w, `{"user_id":`)
		default:
			io.WriteString(w, `{"user_id":"@a:hs"}`)
		}
	}))
	defer srv.Close()
	c, err := New(srv.URL, 2, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var out struct {
		UserID string `json:"user_id"`
	}
	tests := []struct {
		path    string
		code    string
		limited bool
	}{
		{"/ok", "", false},
		{"/limited", "M_LIMIT_EXCEEDED", true},
		{"/forbidden", "M_FORBIDDEN", false},
		{"/plain", "HTTP 502", false},
		{"/garbage", "bad answer", false},
	}
	for _, tt := range tests {
		err := c.Do("GET", tt.path, "tok", nil, &out)
		if got := Code(err); got != tt.code || errors.Is(err, ErrRateLimited) != tt.limited {
			t.Errorf("%s: code %q limited %t (%v), want %q %t", tt.path, got, errors.Is(err, ErrRateLimited), err, tt.code, tt.limited)
		}
	}
	var me *Error
	if err := c.Do("GET", "/limited", "", nil, nil); !errors.As(err, &me) || me.RetryAfter(time.Second) != 1500*time.Millisecond {
		t.Errorf("retry_after_ms not read: %v", err)
	}
	if _, err := New("ftp://x", 1, time.Second); !errors.Is(err, ErrURL) {
		t.Errorf("ftp URL: %v", err)
	}
	dead, _ := New("http://127.0.0.1:1", 1, time.Second)
	if err := dead.Do("GET", "/", "", nil, nil); Code(err) != "transport" {
		t.Errorf("refused connection classified %q", Code(err))
	}
}

func TestRetryingHonoursRetryAfter(t *testing.T) {
	var calls atomic.Int32
	limited := &Error{Status: 429, ErrCode: "M_LIMIT_EXCEEDED", RetryAfterMS: 30}
	start := time.Now()
	err := Retrying(5, func() error {
		if calls.Add(1) < 3 {
			return limited
		}
		return nil
	})
	if err != nil || calls.Load() != 3 || time.Since(start) < 60*time.Millisecond {
		t.Errorf("err %v after %d calls in %v", err, calls.Load(), time.Since(start))
	}
	calls.Store(0)
	if err := Retrying(2, func() error { calls.Add(1); return limited }); !errors.Is(err, ErrRateLimited) || calls.Load() != 2 {
		t.Errorf("gave up with %v after %d calls", err, calls.Load())
	}
	other := errors.New("other")
	calls.Store(0)
	if err := Retrying(5, func() error { calls.Add(1); return other }); err != other || calls.Load() != 1 {
		t.Errorf("retried a non-limit error: %v, %d calls", err, calls.Load())
	}
}

// TestRegisterUIA: the first POST gets 401 with a session, the second must
// carry m.login.dummy in that session.
func TestRegisterUIA(t *testing.T) {
	var bodies []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		bodies = append(bodies, body)
		auth, _ := body["auth"].(map[string]any)
		switch {
		case body["username"] == "taken":
			w.WriteHeader(400)
			io.WriteString(w, `{"errcode":"M_USER_IN_USE","error":"taken"}`)
		case auth == nil:
			w.WriteHeader(401)
			io.WriteString(w, `{"session":"S1","flows":[{"stages":["m.login.dummy"]}]}`)
		case auth["type"] == "m.login.dummy" && auth["session"] == "S1":
			fmt.Fprintf(w, `{"user_id":"@%s:hs","access_token":"T","device_id":"D"}`, body["username"])
		default:
			w.WriteHeader(401)
			io.WriteString(w, `{"errcode":"M_FORBIDDEN"}`)
		}
	}))
	defer srv.Close()
	c, _ := New(srv.URL, 1, 5*time.Second)
	defer c.Close()
	l, err := c.Register("alice", "pw", false)
	if err != nil || l.UserID != "@alice:hs" || l.AccessToken != "T" || len(bodies) != 2 {
		t.Fatalf("Register = %+v, %v after %d requests", l, err, len(bodies))
	}
	if _, err := c.Register("taken", "pw", false); !errors.Is(err, ErrUserInUse) {
		t.Errorf("taken name: %v", err)
	}
}

// TestCloseCutsParkedRequests: Close fails a request the server holds.
func TestCloseCutsParkedRequests(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c, _ := New(srv.URL, 1, time.Minute)
	done := make(chan error, 1)
	go func() { done <- c.Do("GET", "/sync", "", nil, nil) }()
	time.Sleep(100 * time.Millisecond)
	c.Close()
	select {
	case err := <-done:
		if !errors.Is(err, ErrTransport) {
			t.Errorf("cut request answered %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not cut the parked request")
	}
}
