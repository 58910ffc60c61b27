package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Vectors computed independently with Python's hmac module:
// hmac.new(b"shh", b"\x00".join([b"abcdef", b"alice", b"wonderland", b"admin"]), hashlib.sha1).hexdigest()
func TestRegistrationMAC(t *testing.T) {
	tests := []struct {
		admin bool
		want  string
	}{
		{true, "4541a187d24ea89d082abdb9823bcecddabe480c"},
		{false, "c15083a31a8e47952a5a1a433c07b9f9f0c7f37f"},
	}
	for _, tt := range tests {
		if got := registrationMAC("shh", "abcdef", "alice", "wonderland", tt.admin); got != tt.want {
			t.Errorf("admin=%t: %s, want %s", tt.admin, got, tt.want)
		}
	}
}

func TestClientURL(t *testing.T) {
	tests := []struct{ listen, want string }{
		{"127.0.0.1:8008", "http://127.0.0.1:8008"},
		{"0.0.0.0:8008", "http://127.0.0.1:8008"},
		{":8008", "http://127.0.0.1:8008"},
		{"[::]:8008", "http://127.0.0.1:8008"},
		{"[::1]:8008", "http://[::1]:8008"},
		{"localhost:9000", "http://localhost:9000"},
	}
	for _, tt := range tests {
		if got := clientURL(tt.listen); got != tt.want {
			t.Errorf("clientURL(%q) = %q, want %q", tt.listen, got, tt.want)
		}
	}
}

// fakeAdmin serves shared-secret registration the way the spec'd Synapse
// admin API does: one-use nonces, a MAC over the request.
type fakeAdmin struct {
	secret string
	mu     sync.Mutex
	nonces map[string]bool
	users  map[string]bool // localpart -> admin
	n      int
}

func (f *fakeAdmin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.URL.Path != sharedSecretPath {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"errcode":"M_UNRECOGNIZED","error":"Unrecognized request"}`)
		return
	}
	if r.Method == http.MethodGet {
		f.n++
		nonce := fmt.Sprintf("nonce%d", f.n)
		f.nonces[nonce] = true
		fmt.Fprintf(w, `{"nonce":%q}`, nonce)
		return
	}
	var req registerRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"errcode":"M_NOT_JSON","error":"bad json"}`)
		return
	}
	if !f.nonces[req.Nonce] {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"errcode":"M_UNKNOWN","error":"unrecognised nonce"}`)
		return
	}
	delete(f.nonces, req.Nonce)
	if req.MAC != registrationMAC(f.secret, req.Nonce, req.Username, req.Password, req.Admin) {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"errcode":"M_FORBIDDEN","error":"HMAC incorrect"}`)
		return
	}
	if _, taken := f.users[req.Username]; taken {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"errcode":"M_USER_IN_USE","error":"User ID already taken."}`)
		return
	}
	f.users[req.Username] = req.Admin
	fmt.Fprintf(w, `{"user_id":"@%s:test","access_token":"t","device_id":"D"}`, req.Username)
}

func TestRegisterCommand(t *testing.T) {
	admin := &fakeAdmin{secret: "s3cret", nonces: map[string]bool{}, users: map[string]bool{}}
	srv := httptest.NewServer(admin)
	defer srv.Close()

	code, out, stderr := runCapture(t, "", "register", "-url", srv.URL, "-shared-secret", "s3cret", "-user", "alice", "-password", "pw", "-admin")
	if code != 0 || strings.TrimSpace(out) != "registered @alice:test" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	if isAdmin, ok := admin.users["alice"]; !ok || !isAdmin {
		t.Errorf("alice admin=%t registered=%t", isAdmin, ok)
	}

	// Password from standard input, not admin.
	code, _, stderr = runCapture(t, "hunter2\n", "register", "-url", srv.URL, "-shared-secret", "s3cret", "-user", "bob")
	if code != 0 || admin.users["bob"] {
		t.Fatalf("bob: exit %d, admin %t, %s", code, admin.users["bob"], stderr)
	}

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"taken", []string{"-url", srv.URL, "-shared-secret", "s3cret", "-user", "alice", "-password", "pw"}, "M_USER_IN_USE: User ID already taken."},
		{"wrong secret", []string{"-url", srv.URL, "-shared-secret", "nope", "-user", "carol", "-password", "pw"}, "403 M_FORBIDDEN"},
		{"no secret", []string{"-url", srv.URL, "-user", "carol", "-password", "pw"}, "no shared secret"},
		{"no user", []string{"-url", srv.URL, "-shared-secret", "s3cret", "-password", "pw"}, "-user is required"},
		{"wrong path", []string{"-url", srv.URL + "/prefix", "-shared-secret", "s3cret", "-user", "carol", "-password", "pw"}, "M_UNRECOGNIZED"},
		{"server down", []string{"-url", "http://127.0.0.1:1", "-shared-secret", "s3cret", "-user", "carol", "-password", "pw"}, "is the server running?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := runCapture(t, "", append([]string{"register"}, tt.args...)...)
			if code != 1 || out != "" || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 1 and %q", code, out, stderr, tt.want)
			}
		})
	}
	if _, ok := admin.users["carol"]; ok {
		t.Error("carol registered despite the errors")
	}
}

func TestRegisterReadsConfig(t *testing.T) {
	admin := &fakeAdmin{secret: "from-file", nonces: map[string]bool{}, users: map[string]bool{}}
	srv := httptest.NewServer(admin)
	defer srv.Close()
	listen := strings.TrimPrefix(srv.URL, "http://")
	path := writeTestConfig(t, t.TempDir(), fmt.Sprintf("registration_shared_secret: from-file\nlisteners:\n  client: %q\n", listen))
	code, out, stderr := runCapture(t, "", "register", "-config", path, "-user", "dave", "-password", "pw")
	if code != 0 || !strings.Contains(out, "@dave:test") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, stderr)
	}
}
