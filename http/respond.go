package http

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"

	"github.com/valyala/fasthttp"
	"go.uber.org/zap"
)

// WriteJSON writes v as the JSON response body with status.
func WriteJSON(ctx *fasthttp.RequestCtx, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{"errcode":"M_UNKNOWN","error":"Internal server error"}`)
		status = fasthttp.StatusInternalServerError
	}
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	ctx.SetBody(b)
}

// WriteError writes err as a Matrix error. An *Error goes out as it is;
// anything else is logged and becomes 500 M_UNKNOWN, so internal details
// never reach the client.
func WriteError(ctx *fasthttp.RequestCtx, log *zap.Logger, err error) {
	var me *Error
	if !errors.As(err, &me) {
		if log != nil {
			log.Error("request failed", zap.ByteString("path", ctx.Path()), zap.Error(err))
		}
		me = Errorf(CodeUnknown, "")
	}
	if me.Code == CodeLimitExceeded && me.RetryAfter > 0 {
		secs := int64(math.Ceil(me.RetryAfter.Seconds()))
		ctx.Response.Header.Set("Retry-After", strconv.FormatInt(secs, 10))
	}
	WriteJSON(ctx, me.Status, me.body())
}
