package auth

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/axonhs/axon/rooms/event"
)

// signedBlock is content.third_party_invite.signed of an invite.
type signedBlock struct {
	MXID       *string         `json:"mxid"`
	Token      *string         `json:"token"`
	Signatures json.RawMessage `json:"signatures"`
}

// thirdPartyInviteContent is the part of m.room.third_party_invite content
// that carries the keys the signed block must verify against.
type thirdPartyInviteContent struct {
	PublicKey  string `json:"public_key"`
	PublicKeys []struct {
		PublicKey string `json:"public_key"`
	} `json:"public_keys"`
}

// checkThirdPartyInvite is member/invite sub-rule 1: an invite that
// redeems an m.room.third_party_invite.
func (c *checker) checkThirdPartyInvite(target string, raw json.RawMessage) error {
	ev, n := c.ev, c.n
	const path = "member/invite/third_party_invite"
	at := func(sub int, reason string) error {
		return c.reject(n.member, path, reason, n.memberInvite, 1, sub)
	}
	if currentMembership(c.state, target) == event.MembershipBan {
		return at(1, "target is banned")
	}
	var tpi struct {
		Signed json.RawMessage `json:"signed"`
	}
	if json.Unmarshal(raw, &tpi) != nil || tpi.Signed == nil || string(tpi.Signed) == "null" {
		return at(2, "third_party_invite has no signed property")
	}
	var signed signedBlock
	if json.Unmarshal(tpi.Signed, &signed) != nil || signed.MXID == nil || signed.Token == nil {
		return at(3, "signed has no mxid or token")
	}
	if *signed.MXID != target {
		return at(4, "signed.mxid does not match state_key")
	}
	invite := c.state.Get(keyThirdPartyInvite(*signed.Token))
	if invite == nil {
		return at(5, "no m.room.third_party_invite for the token")
	}
	if invite.Sender != ev.Sender {
		return at(6, "sender did not send the m.room.third_party_invite")
	}
	// Signatures of the wrong shape verify nothing and fall to sub-rule 8.
	var sigs map[string]map[string]string
	_ = json.Unmarshal(signed.Signatures, &sigs)
	if signedByInviteKey(tpi.Signed, sigs, invite.Content) {
		return nil
	}
	return at(8, "no signature in signed matches a public key of the m.room.third_party_invite")
}

// signedByInviteKey reports whether any ed25519 signature of the signed
// block verifies under any public key of the m.room.third_party_invite
// content (public_key and public_keys[].public_key). Signatures cover the
// canonical JSON of the block without "signatures" and "unsigned"
// (appendices "Signing JSON").
func signedByInviteKey(signedRaw json.RawMessage, sigs map[string]map[string]string, inviteContent json.RawMessage) bool {
	var ic thirdPartyInviteContent
	if json.Unmarshal(inviteContent, &ic) != nil {
		return false
	}
	var keys []ed25519.PublicKey
	add := func(s string) {
		if b, ok := decodeBase64(s); ok && len(b) == ed25519.PublicKeySize {
			keys = append(keys, b)
		}
	}
	if ic.PublicKey != "" {
		add(ic.PublicKey)
	}
	for _, k := range ic.PublicKeys {
		add(k.PublicKey)
	}
	if len(keys) == 0 || len(sigs) == 0 {
		return false
	}
	msg, err := signingBytes(signedRaw)
	if err != nil {
		return false
	}
	for _, byKey := range sigs {
		for keyID, sig64 := range byKey {
			if !strings.HasPrefix(keyID, "ed25519:") {
				continue
			}
			sig, ok := decodeBase64(sig64)
			if !ok || len(sig) != ed25519.SignatureSize {
				continue
			}
			for _, k := range keys {
				if ed25519.Verify(k, msg, sig) {
					return true
				}
			}
		}
	}
	return false
}

// decodeBase64 accepts the unpadded standard base64 of the appendices and,
// because identity servers have published both, URL-safe and padded forms.
func decodeBase64(s string) ([]byte, bool) {
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding, base64.StdEncoding, base64.URLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}
