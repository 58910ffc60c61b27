package auth

import (
	"testing"

	"github.com/axonhs/axon/rooms/version"
)

func TestParseLevel(t *testing.T) {
	const bad = int64(-1 << 62) // marks "must be refused"
	cases := []struct {
		name string
		raw  string
		// want per family: v1–v5, v6–v9, v10+.
		floaty, stringy, integer int64
	}{
		{"integer", `100`, 100, 100, 100},
		{"negative integer", `-5`, -5, -5, -5},
		{"largest canonical integer", `9007199254740991`, 9007199254740991, 9007199254740991, 9007199254740991},
		// v1-stringy-power-levels examples, verbatim.
		{"string", `"100"`, 100, 100, bad},
		{"string with leading zeroes", `"000100"`, 100, 100, bad},
		{"string with plus", `"+100"`, 100, 100, bad},
		{"string with minus", `"-100"`, -100, -100, bad},
		{"string with spaces", `" 100 "`, 100, 100, bad},
		{"string with spaces and zeroes", `" 00100 "`, 100, 100, bad},
		{"string with spaces and plus", `" +100 "`, 100, 100, bad},
		{"string with spaces and minus", `" -100 "`, -100, -100, bad},
		{"string with a decimal point", `"100.5"`, bad, bad, bad},
		{"string with two signs", `"+-1"`, bad, bad, bad},
		{"empty string", `""`, bad, bad, bad},
		{"string sign only", `"-"`, bad, bad, bad},
		{"string with inner space", `"1 0"`, bad, bad, bad},
		// v1-floaty-power-levels examples, verbatim.
		{"float with exponent", `5.114698E4`, 51146, bad, bad},
		{"float truncated", `50.57`, 50, bad, bad},
		{"negative float truncated towards zero", `-50.57`, -50, bad, bad},
		{"float beyond binary64", `1e400`, bad, bad, bad},
		{"integer beyond int64", `99999999999999999999`, bad, bad, bad},
		{"boolean", `true`, bad, bad, bad},
		{"null", `null`, bad, bad, bad},
		{"object", `{}`, bad, bad, bad},
		{"array", `[1]`, bad, bad, bad},
	}
	families := []struct {
		id   version.ID
		pick func(c int64, s int64, i int64) int64
	}{
		{"1", func(f, _, _ int64) int64 { return f }},
		{"5", func(f, _, _ int64) int64 { return f }},
		{"6", func(_, s, _ int64) int64 { return s }},
		{"9", func(_, s, _ int64) int64 { return s }},
		{"10", func(_, _, i int64) int64 { return i }},
		{"12", func(_, _, i int64) int64 { return i }},
	}
	for _, fam := range families {
		v := mustVersion(t, fam.id)
		for _, c := range cases {
			t.Run("v"+string(fam.id)+"/"+c.name, func(t *testing.T) {
				want := fam.pick(c.floaty, c.stringy, c.integer)
				got, err := parseLevel(v, []byte(c.raw))
				if want == bad {
					if err == nil {
						t.Fatalf("parseLevel(%s) = %d, want an error", c.raw, got)
					}
					return
				}
				if err != nil || got != want {
					t.Fatalf("parseLevel(%s) = %d, %v; want %d", c.raw, got, err, want)
				}
			})
		}
	}
}
