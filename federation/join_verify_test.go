package federation

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/signing"
	"github.com/axonhs/axon/rooms/version"
)

// oneServerKeys serves one publisher's key response.
type oneServerKeys struct{ p *Publisher }

func (k oneServerKeys) FetchServerKeys(context.Context, string) ([]byte, error) {
	b, _, err := k.p.Response()
	return b, err
}

func (oneServerKeys) QueryNotary(context.Context, string, []byte) ([]byte, error) {
	return nil, ErrKeyNotFound
}

// checkEvents judges an event as CheckPDU does: the cases differ in what
// the batched pass could get wrong (a redacted copy, the signers its
// received form needs, a signature of another key).
func TestCheckEventsAgreesWithCheckPDU(t *testing.T) {
	key, err := signing.KeyFromSeed("ed25519:j", make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	other, err := signing.KeyFromSeed("ed25519:j", append(make([]byte, 31), 1))
	if err != nil {
		t.Fatal(err)
	}
	h := &Handshake{Keyring: NewKeyring(KeyringConfig{Fetcher: oneServerKeys{NewPublisher("join.example", key, nil, time.Hour, nil)}})}
	build := func(ver, content string, k signing.KeyPair) []byte {
		v, _ := version.Lookup(version.ID(ver))
		u := "@u:join.example"
		ev, err := (&event.Proto{RoomID: "!r:res.example", Type: event.TypeMember, StateKey: &u, Sender: u, Content: json.RawMessage(content),
			PrevEvents: []string{"$p"}, AuthEvents: []string{"$a"}, Depth: 3, OriginServerTS: time.Now().UnixMilli()}).Build(v, "join.example", k)
		if err != nil {
			t.Fatal(err)
		}
		return ev.Raw
	}
	alter := func(raw []byte) []byte {
		var obj map[string]any
		_ = json.Unmarshal(raw, &obj)
		obj["content"].(map[string]any)["displayname"] = "added later"
		b, _ := json.Marshal(obj)
		return b
	}
	// withBogusSignature adds a signature of res.example that does not
	// verify: present, so the state-independent checks pass.
	withBogusSignature := func(raw []byte) []byte {
		var obj map[string]any
		_ = json.Unmarshal(raw, &obj)
		obj["signatures"].(map[string]any)["res.example"] = map[string]string{"ed25519:r": strings.Repeat("A", 86)}
		b, _ := json.Marshal(obj)
		return b
	}
	const via = `{"membership":"join","join_authorised_via_users_server":"@admin:res.example"}`
	cases := []struct {
		name, ver string
		raw       []byte
		wantOK    bool
	}{
		{"intact join", "10", build("10", `{"membership":"join"}`, key), true},
		{"altered join, kept redacted", "10", alter(build("10", `{"membership":"join"}`, key)), true},
		{"signed by another key", "10", build("10", `{"membership":"join"}`, other), false},
		// Room version 8 redaction drops join_authorised_via_users_server:
		// the authorising server's signature is still required.
		{"altered v8 restricted join without the authorising server's signature", "8", alter(build("8", via, key)), false},
		{"altered v8 restricted join with a bogus signature of the authorising server", "8", alter(withBogusSignature(build("8", via, key))), false},
		{"v9 restricted join with a bogus signature of the authorising server", "9", withBogusSignature(build("9", via, key)), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, _ := version.Lookup(version.ID(c.ver))
			ctx := context.Background()
			want, wantErr := CheckPDU(ctx, h.Keyring, c.raw, v)
			if (wantErr == nil) != c.wantOK {
				t.Fatalf("CheckPDU: %v, want ok %v: the case is wrong", wantErr, c.wantOK)
			}
			got, err := h.checkEvents(ctx, [][]byte{c.raw}, v)
			if !c.wantOK {
				if !errors.Is(err, ErrBadJoinState) {
					t.Fatalf("checkEvents: %v, want ErrBadJoinState", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got[0].Raw) != string(want.Event.Raw) {
				t.Fatalf("checkEvents kept %s, CheckPDU %s", got[0].Raw, want.Event.Raw)
			}
		})
	}
}
