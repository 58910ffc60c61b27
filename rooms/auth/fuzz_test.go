package auth

import (
	"maps"
	"testing"
)

// FuzzParsePowerLevels feeds arbitrary content to the power-levels parser
// of each rule family. Besides not panicking, the families must nest: what
// v10's integer-only rules accept, v6's stringy rules accept with the same
// values, and what v6 accepts, v1's floaty rules accept alike.
func FuzzParsePowerLevels(f *testing.F) {
	for _, seed := range []string{
		`{}`,
		`{"ban":50,"kick":"50","redact":50.5,"users":{"@a:b":100}}`,
		`{"events":{"m.room.name":" +010 "},"notifications":{"room":1e1}}`,
		`{"users":{"@a:b":9007199254740991,"@c:d":-9007199254740991}}`,
		`{"users_default":"-0","state_default":0,"invite":null}`,
		`{"users":{"not-a-user":1}}`,
		`{"ban":1,"ban":"2"}`,
	} {
		f.Add([]byte(seed))
	}
	v1, v6, v10 := mustVersion(f, "1"), mustVersion(f, "6"), mustVersion(f, "10")
	f.Fuzz(func(t *testing.T, content []byte) {
		strict, errStrict := parsePowerLevels(v10, content)
		stringy, errStringy := parsePowerLevels(v6, content)
		floaty, errFloaty := parsePowerLevels(v1, content)
		if errStrict == nil {
			if errStringy != nil {
				t.Fatalf("v10 accepts, v6 refuses: %v", errStringy)
			}
			samePL(t, "v10/v6", strict, stringy)
		}
		if errStringy == nil {
			if errFloaty != nil {
				t.Fatalf("v6 accepts, v1 refuses: %v", errFloaty)
			}
			// v1 skips malformed notifications, so compare the rest.
			stringy.notifications, floaty.notifications = nil, nil
			samePL(t, "v6/v1", stringy, floaty)
		}
	})
}

func samePL(t *testing.T, what string, a, b *plFields) {
	t.Helper()
	if !maps.Equal(a.named, b.named) || !maps.Equal(a.events, b.events) ||
		!maps.Equal(a.notifications, b.notifications) || !maps.Equal(a.users, b.users) {
		t.Fatalf("%s: parsed differently: %+v vs %+v", what, a, b)
	}
}
