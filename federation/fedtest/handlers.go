package fedtest

import (
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// Handle makes the peer answer method requests whose path starts with
// prefix with h (for endpoints the kit does not serve itself, such as
// /get_missing_events or /event in tests of a server that fetches
// events). Failing and hanging apply first; h sees the request unchecked.
func (p *Peer) Handle(method, prefix string, h fasthttp.RequestHandler) {
	p.handlersMu.Lock()
	defer p.handlersMu.Unlock()
	p.handlers = append(p.handlers, route{method: method, prefix: prefix, h: h})
}

type route struct {
	method, prefix string
	h              fasthttp.RequestHandler
}

// handler returns the handler registered for a request, or nil.
func (p *Peer) handler(method, path string) fasthttp.RequestHandler {
	p.handlersMu.Lock()
	defer p.handlersMu.Unlock()
	for _, r := range p.handlers {
		if r.method == method && strings.HasPrefix(path, r.prefix) {
			return r.h
		}
	}
	return nil
}

func unescape(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

func writeJSON(ctx *fasthttp.RequestCtx, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(ctx, fasthttp.StatusInternalServerError, "M_UNKNOWN", err.Error())
		return
	}
	ctx.SetContentType("application/json")
	ctx.SetBody(b)
}

func nowMS() int64 { return time.Now().UnixMilli() }
