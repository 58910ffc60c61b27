package federation

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/federation"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/rooms/ids"
	"github.com/axonhs/axon/rooms/signing"
)

// serverKeys answers GET /_matrix/key/v2/server (keys_server.yaml) with the
// publisher's cached, self-signed response.
func (a *API) serverKeys(ctx *fasthttp.RequestCtx) error {
	resp, _, err := a.cfg.Keys.Response()
	if err != nil {
		return err
	}
	ctx.SetStatusCode(fasthttp.StatusOK)
	ctx.SetContentType("application/json")
	ctx.SetBody(resp)
	return nil
}

// notaryTimeout bounds how long a notary request waits for remote servers.
const notaryTimeout = 30 * time.Second

// maxNotaryServers bounds the servers one batch query may name.
const maxNotaryServers = 100

type keysQueryResponse struct {
	ServerKeys []json.RawMessage `json:"server_keys"`
}

// queryOne answers GET /_matrix/key/v2/query/{serverName}
// (keys_query.yaml): all of the server's keys, valid until
// minimum_valid_until_ts or now.
func (a *API) queryOne(ctx *fasthttp.RequestCtx) error {
	server, err := axhttp.Param(ctx, "serverName")
	if err != nil {
		return err
	}
	if _, err := ids.ParseServerName(server); err != nil {
		return axhttp.Errorf(axhttp.CodeInvalidParam, "Invalid server name")
	}
	var min int64
	if v := axhttp.Query(ctx, "minimum_valid_until_ts"); v != "" {
		if min, err = strconv.ParseInt(v, 10, 64); err != nil {
			return axhttp.Errorf(axhttp.CodeInvalidParam, "minimum_valid_until_ts must be an integer")
		}
	}
	c, cancel := context.WithTimeout(context.Background(), notaryTimeout)
	defer cancel()
	out, err := a.cfg.Keyring.NotaryResponses(c, server, nil, min)
	if err != nil {
		return err
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, keysQueryResponse{ServerKeys: out})
	return nil
}

type keysQueryRequest struct {
	ServerKeys map[string]map[string]struct {
		MinimumValidUntilTS int64 `json:"minimum_valid_until_ts"`
	} `json:"server_keys"`
}

// queryBatch answers POST /_matrix/key/v2/query (keys_query.yaml).
func (a *API) queryBatch(ctx *fasthttp.RequestCtx) error {
	var req keysQueryRequest
	if err := axhttp.DecodeJSON(ctx, &req); err != nil {
		return err
	}
	if len(req.ServerKeys) > maxNotaryServers {
		return axhttp.Errorf(axhttp.CodeInvalidParam, "At most %d servers per query", maxNotaryServers)
	}
	c, cancel := context.WithTimeout(context.Background(), notaryTimeout)
	defer cancel()
	out := []json.RawMessage{}
	for server, keys := range req.ServerKeys {
		if _, err := ids.ParseServerName(server); err != nil {
			continue // an invalid name has no keys to report
		}
		criteria := federation.KeyCriteria{}
		for id, crit := range keys {
			criteria[signing.KeyID(id)] = crit.MinimumValidUntilTS
		}
		rs, err := a.cfg.Keyring.NotaryResponses(c, server, criteria, 0)
		if err != nil {
			a.cfg.Log.Debug("notary query failed", zapServer(server), zapErr(err))
			continue // offline and not cached: left out, as the spec says
		}
		out = append(out, rs...)
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, keysQueryResponse{ServerKeys: out})
	return nil
}
