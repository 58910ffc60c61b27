package federation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/valyala/fasthttp"
)

// DefaultMaxJoinAnswer is the largest send_join answer accepted when
// Handshake.MaxJoinAnswer is 0. The state and auth chain of a room with
// tens of thousands of members run to tens of megabytes, far above the
// client's ordinary limit for one answer (ClientConfig.MaxResponseBody).
const DefaultMaxJoinAnswer = 512 << 20

// putLarge sends one signed PUT like Client.Do, but accepts an answer of
// up to limit bytes. It uses a connection of its own, closed afterwards:
// joins are rare, and the destination's pool keeps its ordinary limit.
// The connection counts against the client's connection bound.
func (c *Client) putLarge(ctx context.Context, destination, uri string, body []byte, limit int) (int, []byte, error) {
	select {
	case c.inflight <- struct{}{}:
		defer func() { <-c.inflight }()
	case <-ctx.Done():
		return 0, nil, ctx.Err()
	}
	dest, err := c.cfg.Resolver.Resolve(ctx, destination)
	if err != nil {
		return 0, nil, err
	}
	hc := c.newHostClient(dest)
	hc.MaxConns = 1
	hc.MaxResponseBodySize = limit
	hc.ReadBufferSize = 64 << 10
	defer hc.CloseIdleConnections()

	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI("https://" + dest.Host + uri)
	req.URI().DisablePathNormalizing = true // after SetRequestURI, which resets it
	req.Header.SetMethod(fasthttp.MethodPut)
	req.Header.SetHost(dest.Host)
	req.Header.SetContentType("application/json")
	req.SetBody(body)
	auth, err := SignRequest(c.cfg.Key, c.cfg.ServerName, destination, fasthttp.MethodPut, string(req.URI().RequestURI()), body)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set(fasthttp.HeaderAuthorization, auth)
	deadline := time.Now().Add(c.cfg.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := hc.DoDeadline(req, resp, deadline); err != nil {
		if errors.Is(err, fasthttp.ErrBodyTooLarge) {
			return 0, nil, fmt.Errorf("%w: from %s (limit %d bytes)", ErrResponseTooLarge, destination, limit)
		}
		return 0, nil, fmt.Errorf("federation: PUT %s to %s: %w", uri, destination, err)
	}
	// Take the body's buffer rather than copying tens of megabytes.
	return resp.StatusCode(), resp.SwapBody(nil), nil
}
