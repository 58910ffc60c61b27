package http

import (
	"fmt"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/fasthttp/router"
	"github.com/valyala/fasthttp"
	"go.uber.org/zap"
)

// HandlerFunc serves one route. Returning an error writes it as a Matrix
// error (see WriteError); on success the handler has written the response.
type HandlerFunc func(ctx *fasthttp.RequestCtx) error

// Route options.
type Route struct {
	// MaxBody is the largest request body accepted, in bytes; larger bodies
	// get 413 M_TOO_LARGE. 0 means DefaultMaxBody.
	MaxBody int
	// Limiter, if set, is consulted with the client IP before the handler
	// runs (per-route limits such as login attempts).
	Limiter *Limiter
}

// DefaultMaxBody is the body limit of routes that set none.
const DefaultMaxBody = 64 << 10

// Router is a fasthttp router set up the way every Axon listener needs.
type Router struct {
	r     *router.Router
	log   *zap.Logger
	perIP *Limiter
}

// NewRouter returns a router whose every route is limited per client IP by
// perIP (nil: no limit).
func NewRouter(log *zap.Logger, perIP *Limiter) *Router {
	if log == nil {
		log = zap.NewNop()
	}
	r := router.New()
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.HandleMethodNotAllowed = true
	r.HandleOPTIONS = true
	rt := &Router{r: r, log: log, perIP: perIP}
	// Spec: client-server-api "Web Browser Clients": OPTIONS on any known
	// path answers with the CORS headers (set for every response in
	// Handler) and no body.
	r.GlobalOPTIONS = func(ctx *fasthttp.RequestCtx) { ctx.SetStatusCode(fasthttp.StatusOK) }
	r.NotFound = func(ctx *fasthttp.RequestCtx) {
		WriteError(ctx, nil, Errorf(CodeUnrecognized, "Unrecognized request"))
	}
	r.MethodNotAllowed = func(ctx *fasthttp.RequestCtx) {
		WriteError(ctx, nil, Errorf(CodeUnrecognized, "Method not allowed").WithStatus(fasthttp.StatusMethodNotAllowed))
	}
	r.PanicHandler = func(ctx *fasthttp.RequestCtx, v any) {
		log.Error("handler panicked", zap.ByteString("method", ctx.Method()), zap.ByteString("path", ctx.Path()),
			zap.String("panic", fmt.Sprint(v)), zap.ByteString("stack", debug.Stack()))
		ctx.Response.Reset()
		setCORS(ctx)
		WriteError(ctx, nil, Errorf(CodeUnknown, ""))
	}
	return rt
}

// Handle registers h for method and path (fasthttp/router syntax:
// "/devices/{deviceId}").
func (rt *Router) Handle(method, path string, o Route, h HandlerFunc) {
	max := o.MaxBody
	if max <= 0 {
		max = DefaultMaxBody
	}
	rt.r.Handle(method, path, func(ctx *fasthttp.RequestCtx) {
		if ok, wait := rt.perIP.Allow(ClientIP(ctx)); !ok {
			WriteError(ctx, rt.log, LimitExceeded(wait))
			return
		}
		if ok, wait := o.Limiter.Allow(ClientIP(ctx)); !ok {
			WriteError(ctx, rt.log, LimitExceeded(wait))
			return
		}
		if len(ctx.PostBody()) > max || ctx.Request.Header.ContentLength() > max {
			WriteError(ctx, rt.log, Errorf(CodeTooLarge, "Request body larger than %s bytes", strconv.Itoa(max)))
			return
		}
		start := time.Now()
		if err := h(ctx); err != nil {
			WriteError(ctx, rt.log, err)
		}
		if ce := rt.log.Check(zap.DebugLevel, "request"); ce != nil {
			ce.Write(zap.ByteString("method", ctx.Method()), zap.String("route", path),
				zap.Int("status", ctx.Response.StatusCode()), zap.Duration("took", time.Since(start)))
		}
	})
}

// Handler is the fasthttp handler: CORS headers on every response, then
// routing.
func (rt *Router) Handler(ctx *fasthttp.RequestCtx) {
	setCORS(ctx)
	rt.r.Handler(ctx)
}

func setCORS(ctx *fasthttp.RequestCtx) {
	h := &ctx.Response.Header
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "X-Requested-With, Content-Type, Authorization")
}
