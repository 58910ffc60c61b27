package tests

import (
	"strings"
	"testing"
)

// TestBadInput: everything a client can get wrong gets its Matrix error and
// status, never a 500, and nothing half-written stays behind.
func TestBadInput(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	tok := registerUser(t, srv, "bob", "pw", nil).str("access_token")
	long := strings.Repeat("p", 73)

	tests := []struct {
		name, method, path, token string
		body                      any
		status                    int
		errcode                   string
	}{
		{"unknown path", "GET", "/_matrix/client/v3/nope", "", nil, 404, "M_UNRECOGNIZED"},
		{"wrong method", "DELETE", "/_matrix/client/v3/login", "", nil, 405, "M_UNRECOGNIZED"},
		{"trailing slash", "GET", "/_matrix/client/v3/login/", "", nil, 404, "M_UNRECOGNIZED"},
		{"login: not JSON", "POST", "/_matrix/client/v3/login", "", "{oops", 400, "M_NOT_JSON"},
		{"login: array body", "POST", "/_matrix/client/v3/login", "", "[]", 400, "M_BAD_JSON"},
		{"login: wrong type of field", "POST", "/_matrix/client/v3/login", "", `{"type":"m.login.password","password":5}`, 400, "M_BAD_JSON"},
		{"login: missing type", "POST", "/_matrix/client/v3/login", "", map[string]any{"password": "x"}, 400, "M_MISSING_PARAM"},
		{"login: unknown type", "POST", "/_matrix/client/v3/login", "", map[string]any{"type": "m.login.magic"}, 400, "M_UNKNOWN"},
		{"login: unknown identifier", "POST", "/_matrix/client/v3/login", "", map[string]any{"type": "m.login.password",
			"identifier": map[string]any{"type": "m.id.phone"}, "password": "pw"}, 400, "M_UNKNOWN"},
		{"login: missing user", "POST", "/_matrix/client/v3/login", "", map[string]any{"type": "m.login.password", "password": "pw"}, 400, "M_MISSING_PARAM"},
		{"login: wrong password", "POST", "/_matrix/client/v3/login", "", map[string]any{"type": "m.login.password", "user": "bob", "password": "no"}, 403, "M_FORBIDDEN"},
		{"login: over-long password", "POST", "/_matrix/client/v3/login", "", map[string]any{"type": "m.login.password", "user": "bob", "password": "pw" + long}, 403, "M_FORBIDDEN"},
		{"login: unknown user", "POST", "/_matrix/client/v3/login", "", map[string]any{"type": "m.login.password", "user": "nobody", "password": "pw"}, 403, "M_FORBIDDEN"},
		{"login: other server", "POST", "/_matrix/client/v3/login", "", map[string]any{"type": "m.login.password", "user": "@bob:elsewhere", "password": "pw"}, 403, "M_FORBIDDEN"},
		{"register: invalid localpart", "POST", "/_matrix/client/v3/register", "", map[string]any{"username": "Bob!", "password": "x"}, 400, "M_INVALID_USERNAME"},
		{"register: localpart too long", "POST", "/_matrix/client/v3/register", "", map[string]any{"username": strings.Repeat("a", 250), "password": "x"}, 400, "M_INVALID_USERNAME"},
		{"register: taken", "POST", "/_matrix/client/v3/register", "", map[string]any{"username": "bob", "password": "x"}, 400, "M_USER_IN_USE"},
		{"register: password over 72 bytes", "POST", "/_matrix/client/v3/register", "", map[string]any{"username": "carl", "password": long}, 400, "M_INVALID_PARAM"},
		{"register: unknown UIA session", "POST", "/_matrix/client/v3/register", "", map[string]any{"username": "carl", "password": "x",
			"auth": map[string]any{"type": "m.login.dummy", "session": "forged"}}, 400, "M_UNKNOWN"},
		{"register: guest refused", "POST", "/_matrix/client/v3/register?kind=guest", "", map[string]any{}, 403, "M_FORBIDDEN"},
		{"register: unknown kind", "POST", "/_matrix/client/v3/register?kind=robot", "", map[string]any{}, 400, "M_INVALID_PARAM"},
		{"register: body too large", "POST", "/_matrix/client/v3/register", "", `{"username":"` + strings.Repeat("x", 70<<10) + `"}`, 413, "M_TOO_LARGE"},
		{"register/available: invalid", "GET", "/_matrix/client/v3/register/available?username=A%20B", "", nil, 400, "M_INVALID_USERNAME"},
		{"register/available: missing", "GET", "/_matrix/client/v3/register/available", "", nil, 400, "M_MISSING_PARAM"},
		{"whoami: no token", "GET", "/_matrix/client/v3/account/whoami", "", nil, 401, "M_MISSING_TOKEN"},
		{"whoami: bad token", "GET", "/_matrix/client/v3/account/whoami", "nope", nil, 401, "M_UNKNOWN_TOKEN"},
		{"whoami: token in query", "GET", "/_matrix/client/v3/account/whoami?access_token=" + tok, "", nil, 200, ""},
		{"password: missing new_password", "POST", "/_matrix/client/v3/account/password", tok, map[string]any{}, 400, "M_MISSING_PARAM"},
		{"password: over-long new_password", "POST", "/_matrix/client/v3/account/password", tok, map[string]any{"new_password": long}, 400, "M_INVALID_PARAM"},
		{"devices: unknown device", "GET", "/_matrix/client/v3/devices/NOPE", tok, nil, 404, "M_NOT_FOUND"},
		{"devices: rename unknown", "PUT", "/_matrix/client/v3/devices/NOPE", tok, map[string]any{"display_name": "x"}, 404, "M_NOT_FOUND"},
		{"devices: display_name wrong type", "PUT", "/_matrix/client/v3/devices/NOPE", tok, `{"display_name":1}`, 400, "M_BAD_JSON"},
		{"delete_devices: missing devices", "POST", "/_matrix/client/v3/delete_devices", tok, map[string]any{}, 400, "M_MISSING_PARAM"},
		{"refresh: missing", "POST", "/_matrix/client/v3/refresh", "", map[string]any{}, 400, "M_MISSING_PARAM"},
		{"refresh: unknown", "POST", "/_matrix/client/v3/refresh", "", map[string]any{"refresh_token": "nope"}, 401, "M_UNKNOWN_TOKEN"},
		{"token validity: tokens not in use", "GET", "/_matrix/client/v1/register/m.login.registration_token/validity?token=x", "", nil, 403, "M_FORBIDDEN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, srv, tc.method, tc.path, tc.token, tc.body)
			if r.status != tc.status || r.errcode() != tc.errcode {
				t.Fatalf("got %d %q (%v), want %d %q", r.status, r.errcode(), r.body, tc.status, tc.errcode)
			}
			if r.errcode() != "" && r.str("error") == "" {
				t.Fatalf("errcode without error text: %v", r.body)
			}
		})
	}

	// Nothing half-written: the refused registrations left no account.
	for _, name := range []string{"carl"} {
		r := call(t, srv, "GET", "/_matrix/client/v3/register/available?username="+name, "", nil)
		if r.status != 200 || r.body["available"] != true {
			t.Fatalf("%s after refused registrations: %d %v", name, r.status, r.body)
		}
	}
}

func TestUnknownTokenAfterExpiryIsSoftLogout(t *testing.T) {
	cfg := testConfig(t, tempDir(t))
	srv := startServer(t, cfg)
	r := call(t, srv, "GET", "/_matrix/client/v3/account/whoami", "never-issued", nil)
	if r.body["soft_logout"] != false {
		t.Fatalf("unknown token: soft_logout = %v, want false", r.body["soft_logout"])
	}
}

func TestEscapedPathParameter(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	reg := registerUser(t, srv, "dora", "pw", map[string]any{"device_id": "A/B C"})
	tok := reg.str("access_token")
	if reg.str("device_id") != "A/B C" {
		t.Fatalf("device_id = %q", reg.str("device_id"))
	}
	r := call(t, srv, "GET", "/_matrix/client/v3/devices/A%2FB%20C", tok, nil)
	if r.status != 200 || r.str("device_id") != "A/B C" {
		t.Fatalf("escaped device ID: %d %v", r.status, r.body)
	}
}

func TestCORSAndOptions(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	for _, path := range []string{"/_matrix/client/v3/login", "/_matrix/client/v3/devices/X", "/_matrix/client/versions"} {
		r := call(t, srv, "OPTIONS", path, "", nil)
		if r.status != 200 || r.header.Get("Access-Control-Allow-Origin") != "*" ||
			!strings.Contains(r.header.Get("Access-Control-Allow-Headers"), "Authorization") {
			t.Errorf("OPTIONS %s: %d %v", path, r.status, r.header)
		}
	}
}
