package mx

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// ErrURL is a base URL that is not http(s)://host[:port][/path].
var ErrURL = errors.New("mx: want a URL like http://host:port or https://host:port")

// Client sends requests to one homeserver over a bounded connection pool.
// It is safe for concurrent use.
type Client struct {
	hc   *fasthttp.HostClient
	base string // scheme://host:port[/path], no trailing slash

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// New returns a client for the homeserver at rawURL with at most conns
// connections open at once. Requests time out after timeout.
func New(rawURL string, conns int, timeout time.Duration) (*Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: got %q", ErrURL, rawURL)
	}
	addr := u.Host
	if u.Port() == "" {
		if u.Scheme == "https" {
			addr += ":443"
		} else {
			addr += ":80"
		}
	}
	c := &Client{
		base:  strings.TrimRight(u.Scheme+"://"+u.Host+u.Path, "/"),
		conns: make(map[net.Conn]struct{}),
	}
	c.hc = &fasthttp.HostClient{
		Addr:                addr,
		IsTLS:               u.Scheme == "https",
		MaxConns:            conns,
		ReadTimeout:         timeout,
		WriteTimeout:        timeout,
		MaxIdleConnDuration: time.Minute,
		Dial:                c.dial,
	}
	return c, nil
}

// Base is the homeserver's base URL.
func (c *Client) Base() string { return c.base }

// dial opens a connection and remembers it so that Close can cut requests
// that are still waiting (a parked /sync) instead of waiting them out.
func (c *Client) dial(addr string) (net.Conn, error) {
	conn, err := fasthttp.DialTimeout(addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conns == nil {
		conn.Close()
		return nil, net.ErrClosed
	}
	tc := &trackedConn{Conn: conn, c: c}
	c.conns[tc] = struct{}{}
	return tc, nil
}

type trackedConn struct {
	net.Conn
	c    *Client
	once sync.Once
}

func (t *trackedConn) Close() error {
	t.once.Do(func() {
		t.c.mu.Lock()
		delete(t.c.conns, t)
		t.c.mu.Unlock()
	})
	return t.Conn.Close()
}

// Close closes every connection, failing the requests in flight with
// ErrTransport, and refuses new ones.
func (c *Client) Close() {
	c.mu.Lock()
	conns := c.conns
	c.conns = nil
	c.mu.Unlock()
	for conn := range conns {
		conn.(*trackedConn).Conn.Close()
	}
	c.hc.CloseIdleConnections()
}

// Do sends one request. body is sent as is when it is a []byte and JSON
// encoded otherwise (nil sends none); a 200 answer is decoded into out
// unless out is nil. Any other answer is an *Error.
func (c *Client) Do(method, path, token string, body, out any) error {
	_, err := c.DoRaw(method, path, token, body, out)
	return err
}

// DoRaw is Do that also returns the answer's body.
func (c *Client) DoRaw(method, path, token string, body, out any) ([]byte, error) {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.Header.SetMethod(method)
	req.SetRequestURI(c.base + path)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		raw, ok := body.([]byte)
		if !ok {
			var err error
			if raw, err = json.Marshal(body); err != nil {
				return nil, fmt.Errorf("mx: encoding %s %s: %w", method, path, err)
			}
		}
		req.Header.SetContentType("application/json")
		req.SetBodyRaw(raw)
	}
	if err := c.hc.Do(req, resp); err != nil {
		return nil, fmt.Errorf("%w: %s %s: %w", ErrTransport, method, path, err)
	}
	data := append([]byte(nil), resp.Body()...)
	if status := resp.StatusCode(); status != fasthttp.StatusOK {
		e := &Error{Method: method, Path: trimQuery(path), Status: status}
		if json.Unmarshal(data, e) != nil || e.ErrCode == "" {
			e.ErrCode, e.Message = "", ""
			e.Body = strings.TrimSpace(string(data[:min(len(data), 200)]))
		}
		return data, e
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return data, fmt.Errorf("%w: %s %s: %w", ErrBadAnswer, method, trimQuery(path), err)
		}
	}
	return data, nil
}

func trimQuery(path string) string {
	if i := strings.IndexByte(path, '?'); i >= 0 {
		return path[:i]
	}
	return path
}

// CheckHomeserver asks GET /_matrix/client/versions, which every
// homeserver answers without authentication (client-server API,
// "GET /_matrix/client/versions"): a program checks its -target with it
// before registering anyone.
func (c *Client) CheckHomeserver() error {
	if err := c.Do("GET", "/_matrix/client/versions", "", nil, nil); err != nil {
		return fmt.Errorf("%s does not answer GET /_matrix/client/versions like a homeserver: %w", c.base, err)
	}
	return nil
}
