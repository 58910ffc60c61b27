package federation

import (
	"context"

	"github.com/valyala/fasthttp"
)

// DefaultMaxJoinAnswer is the largest send_join answer accepted when
// Handshake.MaxJoinAnswer is 0. The state and auth chain of a room with
// tens of thousands of members run to tens of megabytes, far above the
// client's ordinary limit for one answer (ClientConfig.MaxResponseBody).
const DefaultMaxJoinAnswer = 512 << 20

// putLarge sends one signed PUT like Client.Do, but accepts an answer of
// up to limit bytes, on a connection of its own (which counts against the
// client's connection bound): joins are rare, and the destination's pool
// keeps its ordinary limit.
func (c *Client) putLarge(ctx context.Context, destination, uri string, body []byte, limit int) (int, []byte, error) {
	sign := func(requestURI string) (string, error) {
		return SignRequest(c.cfg.Key, c.cfg.ServerName, destination, fasthttp.MethodPut, requestURI, body)
	}
	return c.do(ctx, fasthttp.MethodPut, destination, uri, body, sign, max(limit, 1))
}
