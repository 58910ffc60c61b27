package mx

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestRegisterOrLogin: a fresh name is registered, a taken one logged in,
// an answer without user_id completed with whoami, and a refusal names the
// registration method that was refused.
func TestRegisterOrLogin(t *testing.T) {
	tests := []struct {
		name     string
		register func(w http.ResponseWriter) // answer of the UIA-completing POST /register
		wantUser string
		wantErr  string
	}{
		{"registered", func(w http.ResponseWriter) {
			io.WriteString(w, `{"user_id":"@new:hs","access_token":"t-reg"}`)
		}, "@new:hs", ""},
		{"taken", func(w http.ResponseWriter) {
			w.WriteHeader(400)
			io.WriteString(w, `{"errcode":"M_USER_IN_USE","error":"taken"}`)
		}, "@login:hs", ""},
		{"no user_id", func(w http.ResponseWriter) {
			io.WriteString(w, `{"access_token":"t-reg"}`)
		}, "@whoami:hs", ""},
		{"refused", func(w http.ResponseWriter) {
			w.WriteHeader(403)
			io.WriteString(w, `{"errcode":"M_FORBIDDEN","error":"closed"}`)
		}, "", "m.login.dummy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				switch r.URL.Path {
				case "/_matrix/client/v3/register":
					if !strings.Contains(string(body), "m.login.dummy") {
						w.WriteHeader(401)
						io.WriteString(w, `{"session":"s1","flows":[{"stages":["m.login.dummy"]}]}`)
						return
					}
					tt.register(w)
				case "/_matrix/client/v3/login":
					io.WriteString(w, `{"user_id":"@login:hs","access_token":"t-login"}`)
				case "/_matrix/client/v3/account/whoami":
					io.WriteString(w, `{"user_id":"@whoami:hs"}`)
				default:
					w.WriteHeader(404)
				}
			}))
			defer srv.Close()
			c, err := New(srv.URL, 2, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			l, err := c.RegisterOrLogin("alice", "pw", "", 3)
			if tt.wantErr != "" {
				var me *Error
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &me) {
					t.Fatalf("err %v, want a refusal naming %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || l.UserID != tt.wantUser || l.AccessToken == "" {
				t.Fatalf("got %+v, %v; want user %s with a token", l, err, tt.wantUser)
			}
		})
	}
}
