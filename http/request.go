package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"strings"

	"github.com/valyala/fasthttp"
)

// Param returns the path parameter name, percent-decoded. The router matches
// on the raw path so that an encoded "/" stays inside its parameter; this is
// where it is decoded. A malformed escape is M_INVALID_PARAM.
func Param(ctx *fasthttp.RequestCtx, name string) (string, error) {
	raw, _ := ctx.UserValue(name).(string)
	v, err := url.PathUnescape(raw)
	if err != nil {
		return "", Errorf(CodeInvalidParam, "Malformed path parameter %s", name)
	}
	return strings.Clone(v), nil
}

// DecodeJSON decodes the request body into v: M_NOT_JSON when the body is
// not JSON at all, M_BAD_JSON when it is JSON of the wrong shape. An empty
// body decodes as {}.
func DecodeJSON(ctx *fasthttp.RequestCtx, v any) error {
	body := bytes.TrimSpace(ctx.PostBody())
	if len(body) == 0 {
		body = []byte("{}")
	}
	if !json.Valid(body) {
		return Errorf(CodeNotJSON, "")
	}
	if body[0] != '{' {
		return Errorf(CodeBadJSON, "Request body must be a JSON object")
	}
	// encoding/json copies every string and slice it stores into v, so v
	// does not alias the request buffer.
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return Errorf(CodeBadJSON, "Field %q has the wrong type", te.Field)
		}
		return Errorf(CodeBadJSON, "%s", err.Error())
	}
	return nil
}

// AccessToken returns the request's access token, from the Authorization
// header ("Bearer <token>") or the deprecated access_token query parameter
// (spec: client-server-api "Using access tokens").
func AccessToken(ctx *fasthttp.RequestCtx) (string, bool) {
	if h := ctx.Request.Header.Peek(fasthttp.HeaderAuthorization); len(h) > 0 {
		scheme, tok, ok := strings.Cut(string(h), " ")
		if ok && strings.EqualFold(scheme, "Bearer") && tok != "" {
			return strings.TrimSpace(tok), true
		}
		return "", false
	}
	if q := ctx.QueryArgs().Peek("access_token"); len(q) > 0 {
		return string(q), true
	}
	return "", false
}

// Query returns a copy of the query parameter name.
func Query(ctx *fasthttp.RequestCtx, name string) string {
	return string(ctx.QueryArgs().Peek(name))
}

// ClientIP returns the peer's IP address as a string.
func ClientIP(ctx *fasthttp.RequestCtx) string { return ctx.RemoteIP().String() }

// MissingParam is M_MISSING_PARAM naming the parameter.
func MissingParam(name string) *Error {
	return Errorf(CodeMissingParam, "Missing parameter: %s", name)
}
