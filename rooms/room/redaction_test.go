package room

import (
	"encoding/json"
	"testing"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

func TestProposeRedaction(t *testing.T) {
	for _, v := range []version.ID{"10", "11", "12"} {
		t.Run(string(v), func(t *testing.T) {
			k := newKit(t, v, PresetPublicChat, bob, carol)
			target := k.propose(message(bob, "oops")).Event

			// carol (level 0) may not redact bob's message.
			p := Redact(carol, target.ID, "")
			p.RedactTarget = target
			_, err := k.try(p)
			wantErr(t, err, ErrForbidden, "")

			// bob may redact his own.
			p = Redact(bob, target.ID, "typo")
			p.RedactTarget = target
			fx := k.propose(p)
			if fx.Redacts != target.ID || fx.Event.Redacts != target.ID {
				t.Errorf("redacts %q / %q, want %s", fx.Redacts, fx.Event.Redacts, target.ID)
			}
			var raw map[string]json.RawMessage
			if err := json.Unmarshal(fx.Event.Raw, &raw); err != nil {
				t.Fatal(err)
			}
			content := contentOf(t, fx.Event)
			_, top := raw["redacts"]
			inContent := content["redacts"] == target.ID
			if k.v.RedactsInContent != inContent || top == k.v.RedactsInContent {
				t.Errorf("v%s: redacts top-level %v, in content %v", v, top, inContent)
			}
			if content["reason"] != "typo" {
				t.Errorf("reason %v", content["reason"])
			}

			// alice (moderator) may redact someone else's.
			other := k.propose(message(carol, "spam")).Event
			p = Redact(alice, other.ID, "")
			p.RedactTarget = other
			k.propose(p)

			// A target in another room is refused.
			elsewhere := newKitWith(t, CreateParams{Version: k.v, CreationContent: []byte(`{"org.example.nonce":1}`)}).propose(message(alice, "x")).Event
			p = Redact(alice, elsewhere.ID, "")
			p.RedactTarget = elsewhere
			_, err = k.try(p)
			wantErr(t, err, ErrWrongRoom, "")
			// A target that is not the one named.
			p = Redact(alice, other.ID, "")
			p.RedactTarget = target
			_, err = k.try(p)
			wantErr(t, err, ErrInvalidParam, "")
		})
	}
}

func TestApplyRedaction(t *testing.T) {
	for _, v := range []version.ID{"1", "11", "12"} {
		t.Run(string(v), func(t *testing.T) {
			k := newKit(t, v, PresetPublicChat, bob)
			target := k.propose(message(bob, "secret")).Event
			red := k.propose(Redact(bob, target.ID, "")).Event
			out, err := ApplyRedaction(target, red)
			if err != nil {
				t.Fatal(err)
			}
			var got struct {
				EventID  string         `json:"event_id"`
				Type     string         `json:"type"`
				Sender   string         `json:"sender"`
				Content  map[string]any `json:"content"`
				Unsigned struct {
					RedactedBecause json.RawMessage `json:"redacted_because"`
				} `json:"unsigned"`
				Signatures map[string]any `json:"signatures"`
			}
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatal(err)
			}
			if len(got.Content) != 0 {
				t.Errorf("redacted content %v", got.Content)
			}
			if got.Type != "m.room.message" || got.Sender != bob || got.Signatures == nil {
				t.Errorf("redaction removed protected keys: %s", out)
			}
			if string(got.Unsigned.RedactedBecause) != string(red.Raw) {
				t.Errorf("redacted_because %s, want the redaction %s", got.Unsigned.RedactedBecause, red.Raw)
			}
			// The stored copy still has the target's ID and verifies.
			parsed, err := event.Parse(out, k.v)
			if err != nil || parsed.ID != target.ID {
				t.Errorf("redacted event re-parses as %v, %v; want ID %s", parsed, err, target.ID)
			}
			if err := event.VerifyEventSignature(out, k.v, here, "ed25519:test", testSigner(t, here).Key.Public); err != nil {
				t.Errorf("redacted copy does not verify: %v", err)
			}
			// Errors: not a redaction, a redaction of something else.
			if _, err := ApplyRedaction(target, target); !errorsIs(err, ErrInvalidParam) {
				t.Errorf("non-redaction: %v", err)
			}
			other := k.propose(message(bob, "x")).Event
			if _, err := ApplyRedaction(other, red); !errorsIs(err, ErrInvalidParam) {
				t.Errorf("redaction of another event: %v", err)
			}
		})
	}
}

// TestApplyRedactionKeepsMemberKeys: redacting a member event keeps its
// membership, so the room's state stays meaningful.
func TestApplyRedactionKeepsMemberKeys(t *testing.T) {
	k := newKit(t, "11", PresetPublicChat, bob)
	join := k.propose(Join(bob, MemberOptions{DisplayName: "rude name"})).Event
	red := k.propose(Redact(alice, join.ID, "")).Event
	out, err := ApplyRedaction(join, red)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Content map[string]any `json:"content"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if got.Content["membership"] != "join" || got.Content["displayname"] != nil {
		t.Errorf("redacted member content %v", got.Content)
	}
}
