package auth

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/axonhs/axon/rooms/canonical"
	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

// maxPDUBytes is the size limit of a whole event in federation format
// (client-server-api "Size limits").
const maxPDUBytes = 65536

// CheckIndependent runs the checks that need nothing but the event: the
// size limits of client-server-api "Size limits", a sender that is a user
// ID, the m.room.create rules (rule 1 of every version), and that the
// servers CheckSigners requires appear in the event's signatures (their
// validity is the signature verifier's job; it should call CheckSigners
// with the servers whose signatures verified).
func CheckIndependent(ev *event.Event) error {
	v := ev.Version
	sizes := func(reason string) error {
		return &Error{Rule: fmt.Sprintf("v%s size limits", v.ID), Reason: reason}
	}
	if n := canonicalSize(ev.Raw); n > maxPDUBytes {
		return sizes(fmt.Sprintf("event is %d bytes in canonical JSON, over %d", n, maxPDUBytes))
	}
	switch {
	case len(ev.Type) > maxIDBytes:
		return sizes("type is over 255 bytes")
	case ev.StateKey != nil && len(*ev.StateKey) > maxIDBytes:
		return sizes("state_key is over 255 bytes")
	case len(ev.Sender) > maxIDBytes:
		return sizes("sender is over 255 bytes")
	case len(ev.RoomID) > maxIDBytes:
		return sizes("room_id is over 255 bytes")
	case len(ev.ID) > maxIDBytes:
		return sizes("event_id is over 255 bytes")
	}
	if !validUserID(ev.Sender) {
		return &Error{Rule: fmt.Sprintf("v%s event format", v.ID), Reason: fmt.Sprintf("sender %q is not a user ID", ev.Sender)}
	}
	if ev.Type == event.TypeCreate {
		if err := checkCreate(ev); err != nil {
			return err
		}
	}
	return CheckSigners(ev, signingServers(ev.Raw))
}

// canonicalSize is the length of raw in canonical JSON, which the limit is
// stated for. Only a raw form over the limit is re-encoded: whitespace and
// \u escapes make raw forms longer than their canonical ones. Raw that does
// not encode counts as its own length.
func canonicalSize(raw json.RawMessage) int {
	if len(raw) <= maxPDUBytes {
		return len(raw)
	}
	if canon, err := canonical.Canonicalize(raw); err == nil {
		return len(canon)
	}
	return len(raw)
}

// signingServers lists the server names under "signatures" in a PDU. The
// object is split, not decoded: this runs on every event of a send_join
// answer, and the values are never needed here. Of repeated keys the last
// counts, as encoding/json would have it.
func signingServers(raw json.RawMessage) []string {
	members, err := canonical.Members(raw)
	if err != nil {
		return nil
	}
	var sigs []byte
	for _, m := range members {
		if m.Key == "signatures" {
			sigs = m.Value
		}
	}
	servers, err := canonical.Members(sigs)
	if err != nil {
		return nil
	}
	out := make([]string, 0, len(servers))
	for _, s := range servers {
		if !slices.Contains(out, s.Key) {
			out = append(out, s.Key)
		}
	}
	return out
}

// CheckSigners checks that the servers that must sign ev are among
// signers:
//
//   - the sender's server ("Events must be signed by the server denoted by
//     the sender property"), except on an invite that redeems a third-party
//     invite, which the invitee's server may send (server-server-api
//     "Validating hashes and signatures on received events");
//   - in v1 and v2 also the server of the event ID (v3-auth-rules, and the
//     same section);
//   - from v8, on a join, the server of join_authorised_via_users_server
//     (v8-auth-rules member rule 2). The rule's text covers the key on any
//     membership; like Synapse, only joins are held to it, since only a join
//     selects that user's member event as an auth event and other
//     memberships carrying a stale key must not split the room.
func CheckSigners(ev *event.Event, signers []string) error {
	v := ev.Version
	has := func(server string) bool {
		for _, s := range signers {
			if s == server {
				return true
			}
		}
		return false
	}
	sigRule := func(reason string) error {
		return &Error{Rule: fmt.Sprintf("v%s signatures", v.ID), Reason: reason}
	}
	var mc struct {
		Membership       string          `json:"membership"`
		ThirdPartyInvite json.RawMessage `json:"third_party_invite"`
		Via              json.RawMessage `json:"join_authorised_via_users_server"`
	}
	if ev.Type == event.TypeMember {
		_ = json.Unmarshal(ev.Content, &mc)
	}
	thirdPartyInvite := mc.Membership == event.MembershipInvite && mc.ThirdPartyInvite != nil
	if d, ok := domainOf(ev.Sender); !thirdPartyInvite && (!ok || !has(d)) {
		return sigRule("not signed by the sender's server")
	}
	if v.EventIDs == version.EventIDServerOpaque { // $opaque:server (v1, v2)
		if d, ok := domainOf(ev.ID); !ok || !has(d) {
			return sigRule("not signed by the event ID's server")
		}
	}
	if v.Restricted && mc.Membership == event.MembershipJoin && mc.Via != nil {
		n := numberingFor(v)
		rule := num(n.member, n.memberJAUVS, 1)
		var via string
		if json.Unmarshal(mc.Via, &via) != nil {
			return reject(v, rule, "member", "join_authorised_via_users_server is not a user ID")
		}
		if d, ok := domainOf(via); !ok || !has(d) {
			return reject(v, rule, "member", "not signed by the server of join_authorised_via_users_server")
		}
	}
	return nil
}
