package fedtest

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/rooms/event"
)

// JoinConfig says how peers reach the server whose room they join.
type JoinConfig struct {
	// Resolver finds the resident server (its Overrides can name its
	// address); nil means discovery without overrides.
	Resolver *federation.Resolver
	// RootCAs verify the resident server's certificate (nil: system roots);
	// InsecureSkipVerify turns the check off, for throwaway servers with
	// self-signed certificates.
	RootCAs            *x509.CertPool
	InsecureSkipVerify bool
	// Timeout bounds each request (default 60 seconds).
	Timeout time.Duration
}

// sendJoinAnswer is the part of a v2 send_join answer the peer keeps.
type sendJoinAnswer struct {
	State     []json.RawMessage `json:"state"`
	AuthChain []json.RawMessage `json:"auth_chain"`
}

// Join makes userID, a user of this peer, join roomID through server over
// federation (server-server-api "Joining Rooms"): GET make_join, the event
// built from the template and signed with the peer's key, then PUT
// /v2/send_join. The answer is not verified (a benchmark's peers trust the
// server they measure); its state and auth chain are kept so that the
// peer can answer /event, /state_ids and /get_missing_events about the
// room.
func (p *Peer) Join(ctx context.Context, jc JoinConfig, server, roomID, userID string) (*event.Event, error) {
	c := federation.NewClient(federation.ClientConfig{ServerName: p.Name, Key: p.Key, Resolver: jc.Resolver,
		RootCAs: jc.RootCAs, InsecureSkipVerify: jc.InsecureSkipVerify, MaxConns: 2, MaxConnsPerHost: 1, Timeout: jc.Timeout})
	h := federation.Handshake{Client: c, ServerName: p.Name, Key: p.Key}
	ev, err := h.Make(ctx, server, roomID, userID, event.MembershipJoin, nil)
	if err != nil {
		return nil, fmt.Errorf("fedtest: %s make_join: %w", p.Name, err)
	}
	var ans sendJoinAnswer
	uri := "/_matrix/federation/v2/send_join/" + url.PathEscape(roomID) + "/" + url.PathEscape(ev.ID)
	if err := c.Put(ctx, server, uri, json.RawMessage(ev.Raw), &ans); err != nil {
		return nil, fmt.Errorf("fedtest: %s send_join: %w", p.Name, err)
	}
	p.hub.events.learn(ev, ans.State, ans.AuthChain)
	return ev, nil
}
