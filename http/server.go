package http

import (
	"errors"
	"time"

	"github.com/valyala/fasthttp"
	"go.uber.org/zap"
)

// NewServer wraps a router in a fasthttp.Server. maxBody is the largest body
// of any route; fasthttp refuses bigger ones before routing, and that
// refusal is still a Matrix error.
func NewServer(name string, rt *Router, maxBody int, log *zap.Logger) *fasthttp.Server {
	return &fasthttp.Server{
		Name:               name,
		Handler:            rt.Handler,
		MaxRequestBodySize: maxBody,
		ReadTimeout:        60 * time.Second,
		WriteTimeout:       60 * time.Second,
		IdleTimeout:        2 * time.Minute,
		ErrorHandler: func(ctx *fasthttp.RequestCtx, err error) {
			setCORS(ctx)
			if errors.Is(err, fasthttp.ErrBodyTooLarge) {
				WriteError(ctx, nil, Errorf(CodeTooLarge, ""))
				ctx.SetConnectionClose()
				return
			}
			log.Debug("malformed request", zap.Error(err))
			WriteError(ctx, nil, Errorf(CodeUnknown, "Malformed request").WithStatus(fasthttp.StatusBadRequest))
			ctx.SetConnectionClose()
		},
		Logger: zapPrintf{log},
	}
}

// zapPrintf routes fasthttp's own log lines into zap.
type zapPrintf struct{ log *zap.Logger }

func (z zapPrintf) Printf(format string, args ...any) { z.log.Sugar().Debugf(format, args...) }
