package client

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/user"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/http/client/filter"
	"github.com/axonhs/axon/persistence"
)

// maxFilterBytes bounds a stored filter.
const maxFilterBytes = 64 << 10

// postFilter is POST /user/{userId}/filter (spec: filter.yaml).
func (a *API) postFilter(ctx *fasthttp.RequestCtx, s user.Session) error {
	if err := a.selfParam(ctx, s, "filters"); err != nil {
		return err
	}
	body := bytes.TrimSpace(ctx.PostBody())
	if len(body) > maxFilterBytes {
		return axhttp.Errorf(axhttp.CodeTooLarge, "Filter too large")
	}
	if !json.Valid(body) {
		return axhttp.Errorf(axhttp.CodeNotJSON, "")
	}
	if _, err := ParseFilter(body); err != nil {
		return err
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, body); err != nil {
		return axhttp.Errorf(axhttp.CodeNotJSON, "")
	}
	id, err := a.doUser(s.Localpart, user.SaveFilter{JSON: compact.Bytes()})
	if err != nil {
		return err
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]any{"filter_id": id})
	return nil
}

// ParseFilter parses filter JSON and turns its errors into Matrix errors
// (M_BAD_JSON for the wrong shape, M_INVALID_PARAM for disallowed
// values); /sync uses it for inline filters.
func ParseFilter(body []byte) (filter.Filter, error) {
	f, err := filter.Parse(body)
	switch {
	case errors.Is(err, filter.ErrInvalid):
		return f, axhttp.Errorf(axhttp.CodeInvalidParam, "%s", err.Error())
	case err != nil:
		return f, axhttp.Errorf(axhttp.CodeBadJSON, "%s", err.Error())
	}
	return f, nil
}

// getFilter is GET /user/{userId}/filter/{filterId}. Another user's filter
// is M_FORBIDDEN, as for account data.
func (a *API) getFilter(ctx *fasthttp.RequestCtx, s user.Session) error {
	if err := a.selfParam(ctx, s, "filters"); err != nil {
		return err
	}
	id, err := axhttp.Param(ctx, "filterId")
	if err != nil {
		return err
	}
	raw, err := a.cfg.Store.Filter(s.Localpart, id)
	if errors.Is(err, persistence.ErrNotFound) {
		return axhttp.Errorf(axhttp.CodeNotFound, "No such filter")
	}
	if err != nil {
		return err
	}
	ctx.SetStatusCode(fasthttp.StatusOK)
	ctx.SetContentType("application/json")
	ctx.SetBody(raw)
	return nil
}
