package federation

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/rooms/canonical"
	"github.com/axonhs/axon/rooms/signing"
)

// The outbound fast path for transactions: the body is written in canonical
// JSON from PDUs already in canonical JSON (each encoded once and shared by
// every destination), so the object a request signature covers
// (server-server-api "Request Authentication") can be assembled around it
// byte for byte, without decoding and re-encoding the body for every
// destination as SignRequest must for a body of unknown form.

// EncodeCanonicalTransaction writes a transaction body in canonical JSON
// (appendices "Canonical JSON": keys sorted, no insignificant whitespace).
// Every PDU must already be canonical JSON (canonical.Canonicalize); each
// EDU's content is canonicalised here.
func EncodeCanonicalTransaction(origin string, ts int64, pdus []json.RawMessage, edus []EDU) ([]byte, error) {
	n := 64 + len(origin)
	for _, p := range pdus {
		n += len(p) + 1
	}
	for _, e := range edus {
		n += len(e.Type) + len(e.Content) + 32
	}
	b := make([]byte, 0, n)
	b = append(b, '{')
	// Keys in canonical order: edus, origin, origin_server_ts, pdus.
	if len(edus) > 0 {
		b = append(b, `"edus":[`...)
		for i, e := range edus {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"content":`...)
			content := e.Content
			if len(content) == 0 {
				content = json.RawMessage(`{}`)
			}
			var err error
			if b, err = canonical.Append(b, content); err != nil {
				return nil, fmt.Errorf("federation: EDU %s: %w", e.Type, err)
			}
			b = append(b, `,"edu_type":`...)
			b = canonical.AppendString(b, e.Type)
			b = append(b, '}')
		}
		b = append(b, "],"...)
	}
	b = append(b, `"origin":`...)
	b = canonical.AppendString(b, origin)
	b = append(b, `,"origin_server_ts":`...)
	b = strconv.AppendInt(b, ts, 10)
	b = append(b, `,"pdus":[`...)
	for i, p := range pdus {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, p...)
	}
	return append(b, "]}"...), nil
}

// SignCanonicalRequest is SignRequest for a body already in canonical JSON
// (or none): the signed object {"content", "destination", "method",
// "origin", "uri"} is written around the body as it is.
func SignCanonicalRequest(key signing.KeyPair, origin, destination, method, uri string, body []byte) string {
	msg := make([]byte, 0, len(body)+len(destination)+len(origin)+len(uri)+80)
	msg = append(msg, '{')
	if len(body) > 0 {
		msg = append(msg, `"content":`...)
		msg = append(msg, body...)
		msg = append(msg, ',')
	}
	msg = append(msg, `"destination":`...)
	msg = canonical.AppendString(msg, destination)
	msg = append(msg, `,"method":`...)
	msg = canonical.AppendString(msg, method)
	msg = append(msg, `,"origin":`...)
	msg = canonical.AppendString(msg, origin)
	msg = append(msg, `,"uri":`...)
	msg = canonical.AppendString(msg, uri)
	msg = append(msg, '}')
	sig := ed25519.Sign(key.Private, msg)
	return Authorization{Origin: origin, Destination: destination, Key: key.ID, Sig: signing.EncodeBase64(sig)}.String()
}

// SendCanonicalTransaction is SendTransaction for a body written by
// EncodeCanonicalTransaction: it is sent and signed as it is, never
// decoded. Limits, connection pools and timeouts are the Client's, as for
// Do.
func (c *Client) SendCanonicalTransaction(ctx context.Context, destination, txnID string, body []byte) (SendResult, error) {
	var res SendResult
	sign := func(requestURI string) (string, error) {
		return SignCanonicalRequest(c.cfg.Key, c.cfg.ServerName, destination, fasthttp.MethodPut, requestURI, body), nil
	}
	status, resp, err := c.do(ctx, fasthttp.MethodPut, destination, "/_matrix/federation/v1/send/"+pathEscape(txnID), body, sign, 0)
	if err != nil {
		return res, err
	}
	if err := remoteError(status, resp); err != nil {
		return res, err
	}
	if err := json.Unmarshal(resp, &res); err != nil {
		return res, fmt.Errorf("%w: undecodable answer from %s: %w", ErrRemote, destination, err)
	}
	return res, nil
}
