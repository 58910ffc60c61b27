package tests

import "testing"

// Passwords are compared in Unicode NFKC, as Synapse does: a password set
// with "e" + U+0301 COMBINING ACUTE ACCENT logs in typed with the
// precomposed U+00E9, and the other way round, through /register, /login
// and /account/password.
func TestPasswordUnicodeNormalisation(t *testing.T) {
	const (
		decomposed = "cafe\u0301 cre\u0300me"
		composed   = "caf\u00e9 cr\u00e8me"
	)
	srv := startServer(t, testConfig(t, tempDir(t)))
	login := func(password string) reply {
		t.Helper()
		return call(t, srv, "POST", "/_matrix/client/v3/login", "", map[string]any{"type": "m.login.password",
			"identifier": map[string]any{"type": "m.id.user", "user": "elodie"}, "password": password})
	}
	reg := registerUser(t, srv, "elodie", decomposed, nil)
	tests := []struct {
		name   string
		pw     string
		status int
	}{
		{"composed", composed, 200},
		{"decomposed as registered", decomposed, 200},
		{"unaccented", "cafe creme", 403},
	}
	for _, tt := range tests {
		if r := login(tt.pw); r.status != tt.status {
			t.Fatalf("login %s: %d %v, want %d", tt.name, r.status, r.body, tt.status)
		}
	}

	// Change the password, authenticating with the composed form of the
	// old one, to a fullwidth one; NFKC folds it to ASCII.
	tok := reg.str("access_token")
	change := map[string]any{"new_password": "\uff4e\uff45\uff57-\uff50\uff57", "logout_devices": false}
	first := call(t, srv, "POST", "/_matrix/client/v3/account/password", tok, change)
	if first.status != 401 || first.str("session") == "" {
		t.Fatalf("password change without auth: %d %v", first.status, first.body)
	}
	change["auth"] = map[string]any{"type": "m.login.password", "session": first.str("session"),
		"identifier": map[string]any{"type": "m.id.user", "user": "elodie"}, "password": composed}
	if r := call(t, srv, "POST", "/_matrix/client/v3/account/password", tok, change); r.status != 200 {
		t.Fatalf("password change: %d %v", r.status, r.body)
	}
	if r := login("new-pw"); r.status != 200 {
		t.Fatalf("login with the NFKC form of the new password: %d %v", r.status, r.body)
	}
	if r := login(composed); r.status != 403 {
		t.Fatalf("login with the old password after the change: %d %v", r.status, r.body)
	}
}
