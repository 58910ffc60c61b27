package tests

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/tls"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/axonhs/axon/cmd/axon/homeserver"
	"github.com/axonhs/axon/persistence"
)

func mac(secret string, parts ...string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(m.Sum(nil))
}

func nonce(t *testing.T, srv *homeserver.Server) string {
	r := call(t, srv, "GET", "/_synapse/admin/v1/register", "", nil)
	if r.status != 200 || r.str("nonce") == "" {
		t.Fatalf("nonce: %d %v", r.status, r.body)
	}
	return r.str("nonce")
}

// TestSharedSecretRegistration follows Synapse's admin API: single-use
// nonce, HMAC-SHA1 over nonce, user, password and admin flag.
func TestSharedSecretRegistration(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	n := nonce(t, srv)
	body := map[string]any{"nonce": n, "username": "root", "password": "pw", "admin": true,
		"mac": mac("s3cret", n, "root", "pw", "admin")}
	r := call(t, srv, "POST", "/_synapse/admin/v1/register", "", body)
	if r.status != 200 || r.str("user_id") != "@root:localhost" || r.str("access_token") == "" {
		t.Fatalf("register: %d %v", r.status, r.body)
	}
	if w := call(t, srv, "GET", "/_matrix/client/v3/account/whoami", r.str("access_token"), nil); w.str("user_id") != "@root:localhost" {
		t.Fatalf("whoami with the new token: %v", w.body)
	}
	// Replaying the same request: the nonce is spent.
	if r := call(t, srv, "POST", "/_synapse/admin/v1/register", "", body); r.status != 400 || r.errcode() != "M_UNKNOWN" {
		t.Fatalf("replay: %d %v", r.status, r.body)
	}
	// Wrong MAC (notadmin signed, admin asked): refused, nonce spent too.
	n = nonce(t, srv)
	bad := map[string]any{"nonce": n, "username": "mallory", "password": "pw", "admin": true,
		"mac": mac("s3cret", n, "mallory", "pw", "notadmin")}
	if r := call(t, srv, "POST", "/_synapse/admin/v1/register", "", bad); r.status != 403 || r.errcode() != "M_FORBIDDEN" {
		t.Fatalf("bad mac: %d %v", r.status, r.body)
	}
	bad["mac"] = mac("s3cret", n, "mallory", "pw", "admin")
	if r := call(t, srv, "POST", "/_synapse/admin/v1/register", "", bad); r.status != 400 {
		t.Fatalf("retry on a spent nonce: %d %v", r.status, r.body)
	}
	if r := call(t, srv, "GET", "/_matrix/client/v3/register/available?username=mallory", "", nil); r.body["available"] != true {
		t.Fatalf("refused shared-secret registrations left an account: %v", r.body)
	}
	// user_type joins the MAC.
	n = nonce(t, srv)
	r = call(t, srv, "POST", "/_synapse/admin/v1/register", "", map[string]any{"nonce": n, "username": "bot", "password": "pw",
		"user_type": "bot", "mac": mac("s3cret", n, "bot", "pw", "notadmin", "bot")})
	if r.status != 200 {
		t.Fatalf("with user_type: %d %v", r.status, r.body)
	}
	// Taken name.
	n = nonce(t, srv)
	r = call(t, srv, "POST", "/_synapse/admin/v1/register", "", map[string]any{"nonce": n, "username": "root", "password": "pw",
		"mac": mac("s3cret", n, "root", "pw", "notadmin")})
	if r.status != 400 || r.errcode() != "M_USER_IN_USE" {
		t.Fatalf("taken: %d %v", r.status, r.body)
	}
	if r := call(t, srv, "POST", "/_synapse/admin/v1/register", "", map[string]any{"username": "x"}); r.errcode() != "M_MISSING_PARAM" {
		t.Fatalf("missing nonce: %v", r.body)
	}
}

func TestSharedSecretDisabled(t *testing.T) {
	cfg := testConfig(t, tempDir(t))
	cfg.RegistrationSharedSecret = ""
	srv := startServer(t, cfg)
	if r := call(t, srv, "GET", "/_synapse/admin/v1/register", "", nil); r.status != 400 {
		t.Fatalf("nonce with no secret: %d %v", r.status, r.body)
	}
}

// TestRegistrationToken: with registration_requires_token the only flow is
// m.login.registration_token, and a token's uses are counted.
func TestRegistrationToken(t *testing.T) {
	dir := tempDir(t)
	cfg := testConfig(t, dir)
	cfg.RegistrationRequiresToken = true
	// Seed a single-use token straight into the store before starting.
	st, err := persistence.Open(cfg.Database.Path, persistence.Options{})
	if err != nil {
		t.Fatal(err)
	}
	one := 1
	if err := st.PutRegistrationToken("letmein", persistence.RegistrationToken{UsesAllowed: &one}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, cfg)

	validity := func(tok string) any {
		r := call(t, srv, "GET", "/_matrix/client/v1/register/m.login.registration_token/validity?token="+tok, "", nil)
		if r.status != 200 {
			t.Fatalf("validity: %d %v", r.status, r.body)
		}
		return r.body["valid"]
	}
	if validity("letmein") != true || validity("wrong") != false {
		t.Fatal("validity endpoint disagrees with the store")
	}
	first := call(t, srv, "POST", "/_matrix/client/v3/register", "", map[string]any{"username": "erin", "password": "pw"})
	flows, _ := first.body["flows"].([]any)
	if first.status != 401 || len(flows) != 1 || !strings.Contains(first.header.Get("Content-Type"), "json") {
		t.Fatalf("flows: %d %v", first.status, first.body)
	}
	if stages := flows[0].(map[string]any)["stages"].([]any); len(stages) != 1 || stages[0] != "m.login.registration_token" {
		t.Fatalf("stages: %v", stages)
	}
	sess := first.str("session")
	// Dummy is not a flow here.
	r := call(t, srv, "POST", "/_matrix/client/v3/register", "", map[string]any{"username": "erin", "password": "pw",
		"auth": map[string]any{"type": "m.login.dummy", "session": sess}})
	if r.status != 401 || r.errcode() == "" {
		t.Fatalf("dummy stage accepted: %d %v", r.status, r.body)
	}
	r = call(t, srv, "POST", "/_matrix/client/v3/register", "", map[string]any{"username": "erin", "password": "pw",
		"auth": map[string]any{"type": "m.login.registration_token", "token": "wrong", "session": sess}})
	if r.status != 401 || r.errcode() != "M_UNAUTHORIZED" {
		t.Fatalf("wrong token: %d %v", r.status, r.body)
	}
	r = call(t, srv, "POST", "/_matrix/client/v3/register", "", map[string]any{"username": "erin", "password": "pw",
		"auth": map[string]any{"type": "m.login.registration_token", "token": "letmein", "session": sess}})
	if r.status != 200 || r.str("user_id") != "@erin:localhost" {
		t.Fatalf("with token: %d %v", r.status, r.body)
	}
	if validity("letmein") != false {
		t.Fatal("single-use token still valid after use")
	}
}

func TestRefreshTokensOverHTTP(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	reg := registerUser(t, srv, "fay", "pw", map[string]any{"refresh_token": true})
	if reg.str("refresh_token") == "" || reg.body["expires_in_ms"] == nil {
		t.Fatalf("register with refresh_token: %v", reg.body)
	}
	r := call(t, srv, "POST", "/_matrix/client/v3/refresh", "", map[string]any{"refresh_token": reg.str("refresh_token")})
	if r.status != 200 || r.str("access_token") == "" || r.str("refresh_token") == reg.str("refresh_token") {
		t.Fatalf("refresh: %d %v", r.status, r.body)
	}
	if w := call(t, srv, "GET", "/_matrix/client/v3/account/whoami", reg.str("access_token"), nil); w.status != 401 {
		t.Fatalf("old access token after refresh: %d", w.status)
	}
	if w := call(t, srv, "GET", "/_matrix/client/v3/account/whoami", r.str("access_token"), nil); w.status != 200 || w.str("device_id") != reg.str("device_id") {
		t.Fatalf("new access token: %d %v", w.status, w.body)
	}
	// Rotating with the new refresh token retires the first one for good.
	r2 := call(t, srv, "POST", "/_matrix/client/v3/refresh", "", map[string]any{"refresh_token": r.str("refresh_token")})
	if r2.status != 200 {
		t.Fatalf("second refresh: %d %v", r2.status, r2.body)
	}
	if again := call(t, srv, "POST", "/_matrix/client/v3/refresh", "", map[string]any{"refresh_token": reg.str("refresh_token")}); again.status != 401 || again.errcode() != "M_UNKNOWN_TOKEN" || again.body["soft_logout"] != false {
		t.Fatalf("first refresh token after two rotations: %d %v", again.status, again.body)
	}
}

func TestDeactivateAndLogoutAll(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	a := registerUser(t, srv, "gus", "pw", nil).str("access_token")
	lb := call(t, srv, "POST", "/_matrix/client/r0/login", "", map[string]any{"type": "m.login.password", "user": "gus", "password": "pw"})
	if lb.status != 200 {
		t.Fatalf("r0 login: %d %v", lb.status, lb.body)
	}
	if r := call(t, srv, "POST", "/_matrix/client/v3/logout/all", lb.str("access_token"), nil); r.status != 200 {
		t.Fatalf("logout/all: %d", r.status)
	}
	for _, tok := range []string{a, lb.str("access_token")} {
		if r := call(t, srv, "GET", "/_matrix/client/v3/account/whoami", tok, nil); r.errcode() != "M_UNKNOWN_TOKEN" {
			t.Fatalf("token after logout/all: %v", r.body)
		}
	}
	tok := call(t, srv, "POST", "/_matrix/client/v3/login", "", map[string]any{"type": "m.login.password", "user": "gus", "password": "pw"}).str("access_token")
	// Deactivation: two UIA rounds (challenge, then password) on one session.
	ch := call(t, srv, "POST", "/_matrix/client/v3/account/deactivate", tok, map[string]any{})
	if ch.status != 401 || ch.str("session") == "" {
		t.Fatalf("deactivate challenge: %d %v", ch.status, ch.body)
	}
	auth := passwordAuth("gus", "pw")
	auth["session"] = ch.str("session")
	if r := call(t, srv, "POST", "/_matrix/client/v3/account/deactivate", tok, map[string]any{"auth": auth}); r.status != 200 {
		t.Fatalf("deactivate: %d %v", r.status, r.body)
	}
	r := call(t, srv, "POST", "/_matrix/client/v3/login", "", map[string]any{"type": "m.login.password", "user": "gus", "password": "pw"})
	if r.status != 403 || r.errcode() != "M_USER_DEACTIVATED" {
		t.Fatalf("login after deactivation: %d %v", r.status, r.body)
	}
	if r := call(t, srv, "GET", "/_matrix/client/v3/register/available?username=gus", "", nil); r.errcode() != "M_USER_IN_USE" {
		t.Fatalf("deactivated name reusable: %v", r.body)
	}
}

func TestGuestRegistration(t *testing.T) {
	cfg := testConfig(t, tempDir(t))
	cfg.AllowGuestAccess = true
	srv := startServer(t, cfg)
	r := call(t, srv, "POST", "/_matrix/client/v3/register?kind=guest", "", map[string]any{})
	if r.status != 200 || r.str("access_token") == "" {
		t.Fatalf("guest: %d %v", r.status, r.body)
	}
	w := call(t, srv, "GET", "/_matrix/client/v3/account/whoami", r.str("access_token"), nil)
	if w.body["is_guest"] != true {
		t.Fatalf("whoami of guest: %v", w.body)
	}
	if d := call(t, srv, "GET", "/_matrix/client/v3/devices", r.str("access_token"), nil); d.status != 200 {
		t.Fatalf("guest listing devices: %d %v", d.status, d.body)
	}
	p := call(t, srv, "POST", "/_matrix/client/v3/account/password", r.str("access_token"), map[string]any{"new_password": "x"})
	if p.status != 403 || p.errcode() != "M_GUEST_ACCESS_FORBIDDEN" {
		t.Fatalf("guest changing password: %d %v", p.status, p.body)
	}
}

func TestRegistrationDisabled(t *testing.T) {
	cfg := testConfig(t, tempDir(t))
	cfg.EnableRegistration = false
	srv := startServer(t, cfg)
	if r := call(t, srv, "POST", "/_matrix/client/v3/register", "", map[string]any{"username": "x"}); r.status != 403 || r.errcode() != "M_FORBIDDEN" {
		t.Fatalf("register while disabled: %d %v", r.status, r.body)
	}
}

func TestLoginRateLimit(t *testing.T) {
	cfg := testConfig(t, tempDir(t))
	cfg.RateLimits.Enabled = true
	cfg.RateLimits.PerSecond, cfg.RateLimits.Burst = 1000, 1000
	cfg.RateLimits.LoginPerSecond, cfg.RateLimits.LoginBurst = 0.01, 3
	srv := startServer(t, cfg)
	var last reply
	for range 4 {
		last = call(t, srv, "POST", "/_matrix/client/v3/login", "", map[string]any{"type": "m.login.password", "user": "x", "password": "y"})
	}
	if last.status != 429 || last.errcode() != "M_LIMIT_EXCEEDED" || last.body["retry_after_ms"] == nil || last.header.Get("Retry-After") == "" {
		t.Fatalf("fourth login: %d %v %v", last.status, last.body, last.header)
	}
}

func TestDiscoveryEndpoints(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	v := call(t, srv, "GET", "/_matrix/client/versions", "", nil)
	if vs, _ := v.body["versions"].([]any); v.status != 200 || len(vs) == 0 {
		t.Fatalf("versions: %d %v", v.status, v.body)
	}
	wk := call(t, srv, "GET", "/.well-known/matrix/client", "", nil)
	hs, _ := wk.body["m.homeserver"].(map[string]any)
	if hs["base_url"] != "http://"+srv.ClientAddr() {
		t.Fatalf("well-known client: %v", wk.body)
	}
	if ws := call(t, srv, "GET", "/.well-known/matrix/server", "", nil); ws.status != 200 || !strings.HasPrefix(ws.str("m.server"), "localhost:") {
		t.Fatalf("well-known server: %d %v", ws.status, ws.body)
	}
	// The federation listener speaks TLS with the configured certificate.
	fc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := fc.Get("https://" + srv.FederationAddr() + "/_matrix/federation/v1/version")
	if err != nil {
		t.Fatalf("federation over TLS: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil {
		t.Fatalf("federation version: %d", resp.StatusCode)
	}
	tok := registerUser(t, srv, "hal", "pw", nil).str("access_token")
	c := call(t, srv, "GET", "/_matrix/client/v3/capabilities", tok, nil)
	caps, _ := c.body["capabilities"].(map[string]any)
	rv, _ := caps["m.room_versions"].(map[string]any)
	avail, _ := rv["available"].(map[string]any)
	if c.status != 200 || len(avail) != 12 || avail["1"] != "stable" || rv["default"] == nil {
		t.Fatalf("capabilities: %d %v", c.status, c.body)
	}
}

func TestShutdownIsIdempotentAndRestartable(t *testing.T) {
	dir := tempDir(t)
	srv := startServer(t, testConfig(t, dir))
	registerUser(t, srv, "ida", "pw", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("second shutdown: %v", err)
	}
	srv2 := startServer(t, testConfig(t, dir))
	r := call(t, srv2, "POST", "/_matrix/client/v3/login", "", map[string]any{"type": "m.login.password", "user": "ida", "password": "pw"})
	if r.status != 200 {
		t.Fatalf("login after restart: %d %v", r.status, r.body)
	}
}
