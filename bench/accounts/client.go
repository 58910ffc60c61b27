package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

var (
	errStatus      = errors.New("accounts: unexpected status")
	errRateLimited = errors.New("accounts: rate limited (M_LIMIT_EXCEEDED)")
	errUserInUse   = errors.New("accounts: user exists")
)

// client speaks the few client-server API endpoints the benchmark needs
// over one fasthttp connection pool.
type client struct {
	hc   *fasthttp.HostClient
	base string // scheme://host:port, no trailing slash
}

func newClient(rawURL string, conns int) (*client, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("accounts: -url %q: want http://host:port or https://host:port", rawURL)
	}
	addr := u.Host
	if u.Port() == "" {
		if u.Scheme == "https" {
			addr += ":443"
		} else {
			addr += ":80"
		}
	}
	return &client{
		hc: &fasthttp.HostClient{
			Addr:                addr,
			IsTLS:               u.Scheme == "https",
			MaxConns:            conns,
			ReadTimeout:         time.Minute,
			WriteTimeout:        time.Minute,
			MaxIdleConnDuration: time.Minute,
		},
		base: strings.TrimRight(u.Scheme+"://"+u.Host+u.Path, "/"),
	}, nil
}

type matrixError struct {
	ErrCode      string `json:"errcode"`
	Error        string `json:"error"`
	Session      string `json:"session"`
	RetryAfterMS int64  `json:"retry_after_ms"`
}

// rateLimitError is an M_LIMIT_EXCEEDED answer; it matches errRateLimited.
type rateLimitError struct{ retryAfter time.Duration }

func (e rateLimitError) Error() string {
	return fmt.Sprintf("%v, retry after %s", errRateLimited, e.retryAfter)
}

func (e rateLimitError) Is(target error) bool { return target == errRateLimited }

// do sends one request and decodes a 200 answer into out. A non-200 answer
// is returned as status and body with an error.
func (c *client) do(method, path, token string, body, out any) (int, []byte, error) {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.Header.SetMethod(method)
	req.SetRequestURI(c.base + path)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		req.Header.SetContentType("application/json")
		req.SetBodyRaw(b)
	}
	if err := c.hc.Do(req, resp); err != nil {
		return 0, nil, fmt.Errorf("accounts: %s %s: %w", method, path, err)
	}
	status := resp.StatusCode()
	data := append([]byte(nil), resp.Body()...)
	if status != fasthttp.StatusOK {
		var me matrixError
		_ = json.Unmarshal(data, &me)
		if status == fasthttp.StatusTooManyRequests || me.ErrCode == "M_LIMIT_EXCEEDED" {
			return status, data, rateLimitError{retryAfter: time.Duration(me.RetryAfterMS) * time.Millisecond}
		}
		return status, data, fmt.Errorf("%w: %s %s: %d %s", errStatus, method, path, status, strings.TrimSpace(string(data)))
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return status, data, fmt.Errorf("accounts: %s %s: decoding answer: %w", method, path, err)
		}
	}
	return status, data, nil
}

type authDict struct {
	Type    string `json:"type"`
	Session string `json:"session,omitempty"`
}

type registerBody struct {
	Username     string    `json:"username"`
	Password     string    `json:"password"`
	InhibitLogin bool      `json:"inhibit_login"`
	Auth         *authDict `json:"auth,omitempty"`
}

// register creates a user through User-Interactive Auth: the first POST
// returns 401 with a session, the second completes m.login.dummy in it
// (client-server API, "User-Interactive Authentication API").
func (c *client) register(user, password string) error {
	body := registerBody{Username: user, Password: password, InhibitLogin: true}
	status, data, err := c.do("POST", "/_matrix/client/v3/register", "", body, nil)
	if err == nil {
		return nil // a server that needs no auth at all
	}
	if status != fasthttp.StatusUnauthorized {
		if isUserInUse(data) {
			return errUserInUse
		}
		return err
	}
	var uia matrixError
	if err := json.Unmarshal(data, &uia); err != nil || uia.Session == "" {
		return fmt.Errorf("accounts: /register answered 401 without a UIA session: %s", data)
	}
	body.Auth = &authDict{Type: "m.login.dummy", Session: uia.Session}
	_, data, err = c.do("POST", "/_matrix/client/v3/register", "", body, nil)
	if err != nil && isUserInUse(data) {
		return errUserInUse
	}
	return err
}

func isUserInUse(body []byte) bool {
	var me matrixError
	return json.Unmarshal(body, &me) == nil && me.ErrCode == "M_USER_IN_USE"
}

type loginBody struct {
	Type       string         `json:"type"`
	Identifier map[string]any `json:"identifier"`
	Password   string         `json:"password"`
	DeviceName string         `json:"initial_device_display_name,omitempty"`
}

// login does m.login.password with an m.id.user identifier and returns the
// access token.
func (c *client) login(user, password string) (string, error) {
	var out struct {
		AccessToken string `json:"access_token"`
	}
	body := loginBody{
		Type:       "m.login.password",
		Identifier: map[string]any{"type": "m.id.user", "user": user},
		Password:   password,
		DeviceName: "bench/accounts",
	}
	if _, _, err := c.do("POST", "/_matrix/client/v3/login", "", body, &out); err != nil {
		return "", err
	}
	if out.AccessToken == "" {
		return "", fmt.Errorf("accounts: /login answered without access_token")
	}
	return out.AccessToken, nil
}

// whoami checks a token and returns the user ID it belongs to.
func (c *client) whoami(token string) (string, error) {
	var out struct {
		UserID string `json:"user_id"`
	}
	if _, _, err := c.do("GET", "/_matrix/client/v3/account/whoami", token, nil, &out); err != nil {
		return "", err
	}
	return out.UserID, nil
}

// retrying calls f until it succeeds, fails otherwise than by rate
// limiting, or has been limited attempts times; it waits as long as the
// server asks (retry_after_ms, else a second). Only the untimed set-up
// phase retries: the timed phases count limits instead.
func retrying(attempts int, f func() error) error {
	for i := 1; ; i++ {
		err := f()
		var rl rateLimitError
		if !errors.As(err, &rl) || i == attempts {
			return err
		}
		wait := rl.retryAfter
		if wait <= 0 {
			wait = time.Second
		}
		time.Sleep(wait)
	}
}
