package http

import (
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"
	"go.uber.org/zap"
)

// serve runs rt on an in-memory listener and returns a client for it.
func serve(t *testing.T, rt *Router, maxBody int) *fasthttp.Client {
	t.Helper()
	ln := fasthttputil.NewInmemoryListener()
	srv := NewServer("test", rt, maxBody, zap.NewNop())
	go srv.Serve(ln) //nolint:errcheck // ends when the listener closes
	t.Cleanup(func() { _ = srv.Shutdown() })
	return &fasthttp.Client{DisablePathNormalizing: true, Dial: func(string) (net.Conn, error) { return ln.Dial() }}
}

type response struct {
	status  int
	body    map[string]any
	headers map[string]string
}

func do(t *testing.T, c *fasthttp.Client, method, uri, body string, headers ...string) response {
	t.Helper()
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.Header.SetMethod(method)
	req.SetRequestURI("http://axon" + uri)
	req.SetBodyString(body)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	if err := c.Do(req, resp); err != nil {
		t.Fatalf("%s %s: %v", method, uri, err)
	}
	r := response{status: resp.StatusCode(), headers: map[string]string{}}
	resp.Header.VisitAll(func(k, v []byte) { r.headers[string(k)] = string(v) })
	if len(resp.Body()) > 0 {
		if err := json.Unmarshal(resp.Body(), &r.body); err != nil {
			t.Fatalf("%s %s: body %q is not JSON: %v", method, uri, resp.Body(), err)
		}
	}
	return r
}

func testRouter(t *testing.T) *Router {
	rt := NewRouter(zap.NewNop(), nil)
	rt.Handle("GET", "/users/{userId}/devices/{deviceId}", Route{}, func(ctx *fasthttp.RequestCtx) error {
		u, err := Param(ctx, "userId")
		if err != nil {
			return err
		}
		d, err := Param(ctx, "deviceId")
		if err != nil {
			return err
		}
		WriteJSON(ctx, 200, map[string]string{"user": u, "device": d})
		return nil
	})
	rt.Handle("POST", "/echo", Route{MaxBody: 32}, func(ctx *fasthttp.RequestCtx) error {
		var v struct {
			Name string `json:"name"`
			N    int    `json:"n"`
		}
		if err := DecodeJSON(ctx, &v); err != nil {
			return err
		}
		WriteJSON(ctx, 200, v)
		return nil
	})
	rt.Handle("GET", "/panic", Route{}, func(*fasthttp.RequestCtx) error { panic("boom") })
	rt.Handle("GET", "/fail", Route{}, func(*fasthttp.RequestCtx) error { return net.ErrClosed })
	return rt
}

func TestRouterBehaviour(t *testing.T) {
	c := serve(t, testRouter(t), 1024)
	big := `{"name":"` + strings.Repeat("x", 40) + `"}`
	tests := []struct {
		name, method, uri, body string
		status                  int
		errcode                 string
		want                    map[string]any
	}{
		{"escaped user ID stays one parameter", "GET", "/users/%40alice%3Alocalhost/devices/AB%2FCD", "", 200, "",
			map[string]any{"user": "@alice:localhost", "device": "AB/CD"}},
		{"plain parameters", "GET", "/users/bob/devices/X", "", 200, "", map[string]any{"user": "bob", "device": "X"}},
		{"malformed escape", "GET", "/users/%zz/devices/X", "", 400, "M_INVALID_PARAM", nil},
		{"unknown path", "GET", "/nope", "", 404, "M_UNRECOGNIZED", nil},
		{"trailing slash is not redirected", "GET", "/users/bob/devices/X/", "", 404, "M_UNRECOGNIZED", nil},
		{"fixed path is not redirected", "GET", "/USERS/bob/devices/X", "", 404, "M_UNRECOGNIZED", nil},
		{"wrong method", "DELETE", "/echo", "", 405, "M_UNRECOGNIZED", nil},
		{"not JSON", "POST", "/echo", "{nope", 400, "M_NOT_JSON", nil},
		{"JSON but not an object", "POST", "/echo", "[1]", 400, "M_BAD_JSON", nil},
		{"wrong field type", "POST", "/echo", `{"n":"one"}`, 400, "M_BAD_JSON", nil},
		{"empty body is {}", "POST", "/echo", "", 200, "", map[string]any{"name": "", "n": float64(0)}},
		{"route body limit", "POST", "/echo", big, 413, "M_TOO_LARGE", nil},
		{"panic", "GET", "/panic", "", 500, "M_UNKNOWN", nil},
		{"plain Go error", "GET", "/fail", "", 500, "M_UNKNOWN", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, c, tc.method, tc.uri, tc.body)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d (body %v)", r.status, tc.status, r.body)
			}
			if tc.errcode != "" && r.body["errcode"] != tc.errcode {
				t.Fatalf("errcode %v, want %s", r.body["errcode"], tc.errcode)
			}
			for k, v := range tc.want {
				if r.body[k] != v {
					t.Fatalf("%s = %v, want %v", k, r.body[k], v)
				}
			}
			if r.headers["Access-Control-Allow-Origin"] != "*" {
				t.Fatalf("no CORS header on %d response", r.status)
			}
		})
	}
	// The router survives the panic.
	if r := do(t, c, "GET", "/users/a/devices/b", ""); r.status != 200 {
		t.Fatalf("after panic: %d", r.status)
	}
}

func TestOptionsAnswersWithCORS(t *testing.T) {
	c := serve(t, testRouter(t), 1024)
	r := do(t, c, "OPTIONS", "/echo", "")
	if r.status != 200 {
		t.Fatalf("OPTIONS status %d", r.status)
	}
	want := map[string]string{
		"Access-Control-Allow-Origin":  "*",
		"Access-Control-Allow-Methods": "GET, POST, PUT, DELETE, OPTIONS",
		"Access-Control-Allow-Headers": "X-Requested-With, Content-Type, Authorization",
	}
	for k, v := range want {
		if r.headers[k] != v {
			t.Errorf("%s = %q, want %q", k, r.headers[k], v)
		}
	}
}

// A body over the server-wide limit is refused by fasthttp before routing;
// it must still be a Matrix error.
func TestServerBodyLimitIsMatrixError(t *testing.T) {
	rt := NewRouter(zap.NewNop(), nil)
	rt.Handle("POST", "/big", Route{MaxBody: 1 << 20}, func(ctx *fasthttp.RequestCtx) error { return nil })
	c := serve(t, rt, 100)
	r := do(t, c, "POST", "/big", strings.Repeat("x", 200))
	if r.status != 413 || r.body["errcode"] != "M_TOO_LARGE" {
		t.Fatalf("got %d %v", r.status, r.body)
	}
}

func TestPerIPRateLimit(t *testing.T) {
	now := time.Unix(0, 0)
	rt := NewRouter(zap.NewNop(), NewLimiter(1, 2, 10, func() time.Time { return now }))
	rt.Handle("GET", "/x", Route{}, func(ctx *fasthttp.RequestCtx) error { WriteJSON(ctx, 200, struct{}{}); return nil })
	c := serve(t, rt, 1024)
	for i := range 2 {
		if r := do(t, c, "GET", "/x", ""); r.status != 200 {
			t.Fatalf("request %d: %d", i, r.status)
		}
	}
	r := do(t, c, "GET", "/x", "")
	if r.status != 429 || r.body["errcode"] != "M_LIMIT_EXCEEDED" || r.body["retry_after_ms"] != float64(1000) || r.headers["Retry-After"] != "1" {
		t.Fatalf("third request: %d %v %v", r.status, r.body, r.headers["Retry-After"])
	}
}

func TestAccessTokenSources(t *testing.T) {
	tests := []struct {
		name, header, query, want string
		ok                        bool
	}{
		{"bearer header", "Bearer abc", "", "abc", true},
		{"scheme is case-insensitive", "bearer abc", "", "abc", true},
		{"query parameter", "", "access_token=q1", "q1", true},
		{"header wins over query", "Bearer h", "access_token=q", "h", true},
		{"other scheme", "Basic abc", "", "", false},
		{"none", "", "", "", false},
	}
	for _, tc := range tests {
		var ctx fasthttp.RequestCtx
		ctx.Request.SetRequestURI("/x?" + tc.query)
		if tc.header != "" {
			ctx.Request.Header.Set("Authorization", tc.header)
		}
		got, ok := AccessToken(&ctx)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: got %q, %v; want %q, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}
