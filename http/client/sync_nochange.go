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
// counts, is read again when a reused response is written.

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
