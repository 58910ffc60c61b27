package client

import (
	"github.com/valyala/fasthttp"

	axhttp "github.com/axonhs/axon/http"
)

// A parked /sync looks at storage twice before it waits (once before it
// registers with the user's actor and once after, so that nothing that
// moved in between is missed) and again on each wake-up. A look whose
// stream positions are all where the previous look's build found nothing
// would build the same empty response: every section of a sync is read
// between the since token and those positions (rooms, receipts, typing,
// to-device, account data, presence and device lists alike), so the
// request reuses the empty response instead of reading it again. The one
// part that follows no stream, the device's one-time and fallback key
// counts, is read again when a reused response is written. For the same
// reason a request whose since token is already where every stream is
// builds nothing but the key counts (unchangedSync).

// unchangedSync answers an incremental sync whose since token is where
// every stream still is: what a client sends right after a response, and
// what every woken long-poll's client sends next. Each section reads
// (since, cur], which is empty for all of them, so the response is empty
// but for the key counts; the to-device step still runs, since the token
// acknowledges the messages it delivered and those are deleted now.
func (a *API) unchangedSync(req *syncRequest, cur syncToken) (*syncResponse, error) {
	b := &syncBuilder{a: a, req: req, since: *req.since, to: cur, resp: &syncResponse{}}
	if err := b.toDevice(); err != nil {
		return nil, err
	}
	if err := b.keyCounts(); err != nil {
		return nil, err
	}
	b.resp.NextBatch = b.to.String()
	return b.resp, nil
}

// writeSync writes a /sync response; reused says it was built at an
// earlier look of the same request, so its key counts are read afresh.
func (a *API) writeSync(ctx *fasthttp.RequestCtx, req *syncRequest, resp *syncResponse, reused bool) error {
	if reused {
		b := &syncBuilder{a: a, req: req, resp: resp}
		if err := b.keyCounts(); err != nil {
			return err
		}
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, resp)
	return nil
}
