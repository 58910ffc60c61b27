package federation

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
	"go.uber.org/zap"

	"github.com/axonhs/axon/federation"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/persistence"
)

// sendMaxBody bounds a transaction: 50 PDUs of at most 64 KiB each, plus
// 100 EDUs.
const sendMaxBody = 4 << 20

// Inbound transaction records are pruned every pruneEvery transactions,
// dropping those older than txnRecordTTL.
const (
	pruneEvery   = 4096
	txnRecordTTL = 24 * time.Hour
)

// inflightTxns makes a resend that arrives while the first copy is still
// being processed wait for the first's answer instead of processing the
// PDUs twice.
type inflightTxns struct {
	mu sync.Mutex
	m  map[string]chan struct{}
}

func (f *inflightTxns) begin(key string) (done chan struct{}, first bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ch, ok := f.m[key]; ok {
		return ch, false
	}
	if f.m == nil {
		f.m = make(map[string]chan struct{})
	}
	ch := make(chan struct{})
	f.m[key] = ch
	return ch, true
}

func (f *inflightTxns) end(key string) {
	f.mu.Lock()
	ch := f.m[key]
	delete(f.m, key)
	f.mu.Unlock()
	close(ch)
}

// send answers PUT /_matrix/federation/v1/send/{txnId} (transactions.yaml):
// deduplicated per origin and transaction ID (a resend gets the first
// answer), at most 50 PDUs and 100 EDUs, one result per PDU.
func (a *API) send(ctx *fasthttp.RequestCtx, origin string) error {
	txnID, err := axhttp.Param(ctx, "txnId")
	if err != nil {
		return err
	}
	if done, first := a.txns.begin(origin + "\x00" + txnID); !first {
		select {
		case <-done:
		case <-ctx.Done():
			return axhttp.Errorf(axhttp.CodeLimitExceeded, "Transaction is being processed")
		}
	} else {
		defer a.txns.end(origin + "\x00" + txnID)
	}
	if prev, err := a.cfg.Store.InboundTxnResult(origin, txnID); err == nil {
		ctx.SetStatusCode(fasthttp.StatusOK)
		ctx.SetContentType("application/json")
		ctx.SetBody(prev.Response)
		return nil
	} else if !errors.Is(err, persistence.ErrNotFound) {
		return err
	}
	body := ctx.PostBody()
	if !json.Valid(body) {
		return axhttp.Errorf(axhttp.CodeNotJSON, "")
	}
	txn, err := federation.ParseTransaction(body)
	switch {
	case errors.Is(err, federation.ErrTransactionTooLarge):
		// "they can have at most 50 PDUs and 100 EDUs" (server-server-api
		// "Transactions"); the spec names no error code, so this is the
		// client API's one for a body of the wrong shape.
		return axhttp.Errorf(axhttp.CodeBadJSON, "Transactions may hold at most 50 PDUs and 100 EDUs")
	case err != nil:
		return axhttp.Errorf(axhttp.CodeBadJSON, "%s", err.Error())
	}
	if txn.Origin != origin {
		return axhttp.Errorf(axhttp.CodeForbidden, "Transaction origin %s is not the signing server", txn.Origin)
	}
	c, cancel := context.WithTimeout(context.Background(), 2*stepTimeout)
	defer cancel()
	results := a.processPDUs(c, origin, txn.PDUs)
	a.processEDUs(c, origin, txn.EDUs)
	resp, err := json.Marshal(map[string]any{"pdus": results})
	if err != nil {
		return err
	}
	if err := a.cfg.Store.PutInboundTxnResult(origin, txnID, persistence.InboundTxn{Response: resp, TS: a.now().UnixMilli()}); err != nil {
		a.cfg.Log.Warn("recording an inbound transaction", zap.String("server", origin), zap.Error(err))
	}
	if a.sends.Add(1)%pruneEvery == 0 {
		// Senders retry a transaction for minutes, not days: older
		// records only take space.
		go func() {
			if _, err := a.cfg.Store.PruneInboundTxns(a.now().Add(-txnRecordTTL).UnixMilli()); err != nil {
				a.cfg.Log.Warn("pruning inbound transaction records", zap.Error(err))
			}
		}()
	}
	ctx.SetStatusCode(fasthttp.StatusOK)
	ctx.SetContentType("application/json")
	ctx.SetBody(resp)
	return nil
}
