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

var errStatus = errors.New("rooms: unexpected status")

// client speaks the few client-server endpoints the benchmark needs over
// one fasthttp connection pool.
type client struct {
	hc   *fasthttp.HostClient
	base string
}

func newClient(rawURL string, conns int) (*client, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("rooms: -url %q: want http://host:port", rawURL)
	}
	return &client{
		hc:   &fasthttp.HostClient{Addr: u.Host, MaxConns: conns, ReadTimeout: time.Minute, WriteTimeout: time.Minute},
		base: strings.TrimRight(rawURL, "/"),
	}, nil
}

// do sends one request and decodes a 200 answer into out.
func (c *client) do(method, path, token string, body []byte, out any) (int, []byte, error) {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.Header.SetMethod(method)
	req.SetRequestURI(c.base + path)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.SetContentType("application/json")
		req.SetBodyRaw(body)
	}
	if err := c.hc.Do(req, resp); err != nil {
		return 0, nil, err
	}
	data := append([]byte(nil), resp.Body()...)
	if resp.StatusCode() != fasthttp.StatusOK {
		return resp.StatusCode(), data, fmt.Errorf("%w: %s %s: %d %s", errStatus, method, path, resp.StatusCode(), data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode(), data, fmt.Errorf("rooms: %s %s: %w", method, path, err)
		}
	}
	return resp.StatusCode(), data, nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// register creates user through UIA (m.login.dummy).
func (c *client) register(user, password string) error {
	body := map[string]any{"username": user, "password": password}
	status, data, err := c.do("POST", "/_matrix/client/v3/register", "", mustJSON(body), nil)
	if err == nil {
		return nil
	}
	if status != fasthttp.StatusUnauthorized {
		return err
	}
	var uia struct {
		Session string `json:"session"`
	}
	if json.Unmarshal(data, &uia) != nil || uia.Session == "" {
		return fmt.Errorf("rooms: /register answered 401 without a session: %s", data)
	}
	body["auth"] = map[string]string{"type": "m.login.dummy", "session": uia.Session}
	_, _, err = c.do("POST", "/_matrix/client/v3/register", "", mustJSON(body), nil)
	return err
}

// login opens a new device and returns its access token.
func (c *client) login(user, password string) (string, error) {
	body := map[string]any{"type": "m.login.password", "password": password,
		"identifier": map[string]string{"type": "m.id.user", "user": user}}
	var out struct {
		AccessToken string `json:"access_token"`
	}
	_, _, err := c.do("POST", "/_matrix/client/v3/login", "", mustJSON(body), &out)
	return out.AccessToken, err
}

// createRoom makes a private room and returns its ID.
func (c *client) createRoom(token string) (string, error) {
	var out struct {
		RoomID string `json:"room_id"`
	}
	_, _, err := c.do("POST", "/_matrix/client/v3/createRoom", token, []byte(`{"preset":"private_chat"}`), &out)
	return out.RoomID, err
}

// send sends one m.room.message and returns its event ID.
func (c *client) send(token, roomID, txnID string, body []byte) (string, error) {
	var out struct {
		EventID string `json:"event_id"`
	}
	path := "/_matrix/client/v3/rooms/" + url.PathEscape(roomID) + "/send/m.room.message/" + url.PathEscape(txnID)
	_, _, err := c.do("PUT", path, token, body, &out)
	if err == nil && out.EventID == "" {
		err = fmt.Errorf("rooms: send answered without event_id")
	}
	return out.EventID, err
}
