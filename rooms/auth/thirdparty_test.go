package auth

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"testing"

	"github.com/axonhs/axon/rooms/event"
)

// tpiKey is the identity server's key in the third-party invite tests.
var tpiKey = ed25519.NewKeyFromSeed([]byte("axon-third-party-invite-seed-032"))

// signedFor builds content.third_party_invite.signed for mxid and token,
// signed by key over the canonical JSON written out by hand.
func signedFor(key ed25519.PrivateKey, mxid, token string) string {
	msg := fmt.Sprintf(`{"mxid":%q,"token":%q}`, mxid, token)
	sig := base64.RawStdEncoding.EncodeToString(ed25519.Sign(key, []byte(msg)))
	return fmt.Sprintf(`{"mxid":%q,"token":%q,"signatures":{"id.example":{"ed25519:0":%q}}}`, mxid, token, sig)
}

func tpiContent(signed string) string {
	return fmt.Sprintf(`"third_party_invite":{"display_name":"b...","signed":%s}`, signed)
}

// withInvite puts alice's m.room.third_party_invite for token "tok" into
// the state, listing the public key in public_key or public_keys.
func withInvite(list bool) func(r *room) {
	return func(r *room) {
		pub := base64.RawStdEncoding.EncodeToString(tpiKey.Public().(ed25519.PublicKey))
		content := fmt.Sprintf(`{"display_name":"b...","key_validity_url":"https://id.example/v","public_key":%q}`, pub)
		if list {
			content = fmt.Sprintf(`{"display_name":"b...","public_key":"AAAA","public_keys":[{"public_key":"bm9wZQ"},{"public_key":%q}]}`, pub)
		}
		r.put(r.ev(event.TypeThirdPartyInvite, sk("tok"), alice, content))
	}
}

func TestAllowedThirdPartyInvite(t *testing.T) {
	good := tpiContent(signedFor(tpiKey, bob, "tok"))
	const path = "{member}.{invite}.1.%d member/invite/third_party_invite"
	rule := func(n int) string { return fmt.Sprintf(path, n) }
	otherKey := ed25519.NewKeyFromSeed([]byte("axon-another-identity-server-032"))
	runMatrix(t, []authCase{
		{
			name:  "member/invite/third_party_invite/signed by the invite's public_key is allowed",
			setup: withInvite(false),
			event: func(r *room) *event.Event { return r.member(alice, bob, "invite", good) },
		},
		{
			name:  "member/invite/third_party_invite/signed by a key in public_keys is allowed",
			setup: withInvite(true),
			event: func(r *room) *event.Event { return r.member(alice, bob, "invite", good) },
		},
		{
			name:  "member/invite/third_party_invite/target banned is rejected",
			setup: func(r *room) { withInvite(false)(r); r.setMembership(bob, "ban") },
			event: func(r *room) *event.Event { return r.member(alice, bob, "invite", good) },
			want:  rule(1),
		},
		{
			name:  "member/invite/third_party_invite/without signed is rejected",
			setup: withInvite(false),
			event: func(r *room) *event.Event {
				return r.member(alice, bob, "invite", `"third_party_invite":{"display_name":"b"}`)
			},
			want: rule(2),
		},
		{
			name:  "member/invite/third_party_invite/null is rejected",
			setup: withInvite(false),
			event: func(r *room) *event.Event { return r.member(alice, bob, "invite", `"third_party_invite":null`) },
			want:  rule(2),
		},
		{
			name:  "member/invite/third_party_invite/signed without token is rejected",
			setup: withInvite(false),
			event: func(r *room) *event.Event {
				return r.member(alice, bob, "invite", tpiContent(fmt.Sprintf(`{"mxid":%q,"signatures":{}}`, bob)))
			},
			want: rule(3),
		},
		{
			name:  "member/invite/third_party_invite/signed without mxid is rejected",
			setup: withInvite(false),
			event: func(r *room) *event.Event {
				return r.member(alice, bob, "invite", tpiContent(`{"token":"tok","signatures":{}}`))
			},
			want: rule(3),
		},
		{
			name:  "member/invite/third_party_invite/mxid not the state_key is rejected",
			setup: withInvite(false),
			event: func(r *room) *event.Event {
				return r.member(alice, carol, "invite", good)
			},
			want: rule(4),
		},
		{
			name:  "member/invite/third_party_invite/no m.room.third_party_invite for the token is rejected",
			event: func(r *room) *event.Event { return r.member(alice, bob, "invite", good) },
			want:  rule(5),
		},
		{
			name:  "member/invite/third_party_invite/sender did not send the m.room.third_party_invite",
			setup: func(r *room) { withInvite(false)(r); r.setMembership(carol, "join") },
			event: func(r *room) *event.Event { return r.member(carol, bob, "invite", good) },
			want:  rule(6),
		},
		{
			name:  "member/invite/third_party_invite/signature by another key is rejected",
			setup: withInvite(false),
			event: func(r *room) *event.Event {
				return r.member(alice, bob, "invite", tpiContent(signedFor(otherKey, bob, "tok")))
			},
			want: rule(8),
		},
		{
			name:  "member/invite/third_party_invite/signature over other content is rejected",
			setup: withInvite(false),
			event: func(r *room) *event.Event {
				// Signed for carol, then relabelled for bob.
				s := signedFor(tpiKey, carol, "tok")
				s = fmt.Sprintf(`{"mxid":%q%s`, bob, s[len(fmt.Sprintf(`{"mxid":%q`, carol)):])
				return r.member(alice, bob, "invite", tpiContent(s))
			},
			want: rule(8),
		},
		{
			name:  "member/invite/third_party_invite/signatures of the wrong shape are rejected",
			setup: withInvite(false),
			event: func(r *room) *event.Event {
				return r.member(alice, bob, "invite", tpiContent(fmt.Sprintf(`{"mxid":%q,"token":"tok","signatures":{"id.example":["x"]}}`, bob)))
			},
			want: rule(8),
		},
		{
			name:  "member/invite/third_party_invite/mxid that is not a string is rejected",
			setup: withInvite(false),
			event: func(r *room) *event.Event {
				return r.member(alice, bob, "invite", tpiContent(`{"mxid":1,"token":"tok","signatures":{}}`))
			},
			want: rule(3),
		},
		{
			name:  "member/invite/third_party_invite/no signatures is rejected",
			setup: withInvite(false),
			event: func(r *room) *event.Event {
				return r.member(alice, bob, "invite", tpiContent(fmt.Sprintf(`{"mxid":%q,"token":"tok"}`, bob)))
			},
			want: rule(8),
		},
	})
}

func TestSigningBytes(t *testing.T) {
	// appendices.md "Canonical JSON" examples, verbatim.
	cases := []struct{ name, in, want string }{
		{"empty object", `{}`, `{}`},
		{"keys sorted", `{"one": 1, "two": "Two"}`, `{"one":1,"two":"Two"}`},
		{"keys sorted reversed", `{"b": "2", "a": "1"}`, `{"a":"1","b":"2"}`},
		{"nested", `{"auth": {"success": true, "mxid": "@john.doe:example.com", "profile": {"display_name": "John Doe", "three_pids": [{"medium": "email", "address": "john.doe@example.org"}, {"medium": "msisdn", "address": "123456789"}]}}}`,
			`{"auth":{"mxid":"@john.doe:example.com","profile":{"display_name":"John Doe","three_pids":[{"address":"john.doe@example.org","medium":"email"},{"address":"123456789","medium":"msisdn"}]},"success":true}}`},
		{"unicode kept", `{"a": "日本語"}`, `{"a":"日本語"}`},
		{"unicode keys sorted by code point", `{"本": 2, "日": 1}`, `{"日":1,"本":2}`},
		{"escaped unicode decoded", `{"a": "\u65E5"}`, `{"a":"日"}`},
		{"null", `{"a": null}`, `{"a":null}`},
		{"control characters", `{"a":"\u0001\n\"\\"}`, `{"a":"\u0001\n\"\\"}`},
		{"signatures and unsigned dropped", `{"b":1,"signatures":{"x":{}},"unsigned":{"age":1}}`, `{"b":1}`},
		{"float written as Python does", `{"a": 1.5}`, `{"a":1.5}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := signingBytes([]byte(c.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.want {
				t.Fatalf("got %s\nwant %s", got, c.want)
			}
		})
	}
	for _, bad := range []string{`[]`, `"x"`, `{`, `{"a":"\ud800"}`} {
		if _, err := signingBytes([]byte(bad)); err == nil {
			t.Errorf("signingBytes(%s) succeeded, want error", bad)
		}
	}
}
