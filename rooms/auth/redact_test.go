package auth

import (
	"fmt"
	"testing"

	"github.com/axonhs/axon/rooms/event"
	"github.com/axonhs/axon/rooms/version"
)

func TestRedactionApplies(t *testing.T) {
	cases := []struct {
		name         string
		id           string
		redactor     string
		targetSender string
		powerLevels  string // "" keeps newRoom's
		wantApplied  bool
	}{
		{"own event", "10", bob, bob, "", true},
		{"same server, other user", "10", bob, carol, "", true},
		{"other server, below the redact level", "10", bob, dave, "", false},
		{"other server, at the redact level", "10", alice, dave, "", true},
		{"redact level lowered", "10", bob, dave, `{"redact":0}`, true},
		{"moderator listed in users", "3", bob, dave, `{"users":{"@bob:example.org":"50"}}`, true},
		{"v12 creator outranks the redact level", "12", alice, dave, `{"redact":9007199254740991}`, true},
		{"v12 non-creator below a high redact level", "12", bob, dave, `{"redact":60,"users":{"@bob:example.org":59}}`, false},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("v%s/%s", c.id, c.name), func(t *testing.T) {
			r := newRoom(t, version.ID(c.id))
			if c.powerLevels != "" {
				r.setPowerLevels(c.powerLevels)
			}
			target := r.ev("m.room.message", nil, c.targetSender, `{}`)
			red := r.ev(event.TypeRedaction, nil, c.redactor, `{}`)
			red.Redacts = target.ID
			if got := RedactionApplies(r.v, r.state, red, target); got != c.wantApplied {
				t.Fatalf("RedactionApplies = %v, want %v", got, c.wantApplied)
			}
		})
	}
}
