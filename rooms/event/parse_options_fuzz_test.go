package event

import (
	"errors"
	"slices"
	"testing"

	"github.com/axonhs/axon/rooms/version"
)

// FuzzParseUnbounded feeds arbitrary bytes to ParseWith with
// UnboundedReferences under every room version. It must not panic; it
// accepts everything Parse accepts, as the same event; and where it
// accepts what Parse refuses, Parse's only objection is the number of
// prev_events or auth_events.
func FuzzParseUnbounded(f *testing.F) {
	for i, v := range version.All() {
		p := messageProto()
		if v.Format == version.FormatV1 {
			p.PrevEvents, p.AuthEvents = nil, nil
		}
		if ev, err := p.Build(v, "example.org", testKey(f)); err == nil {
			f.Add(byte(i), []byte(ev.Raw))
		}
	}
	versions := version.All()
	f.Fuzz(func(t *testing.T, which byte, raw []byte) {
		v := versions[int(which)%len(versions)]
		loose, lerr := ParseWith(raw, v, ParseOptions{UnboundedReferences: true})
		strict, serr := Parse(raw, v)
		switch {
		case serr == nil && lerr != nil:
			t.Fatalf("Parse accepts, ParseWith refuses: %v", lerr)
		case serr == nil:
			if strict.ID != loose.ID || !slices.Equal(strict.PrevEvents, loose.PrevEvents) || !slices.Equal(strict.AuthEvents, loose.AuthEvents) {
				t.Fatalf("the two parses differ: %+v / %+v", strict, loose)
			}
		case lerr == nil && !errors.Is(serr, ErrTooManyReferences):
			t.Fatalf("ParseWith accepts what Parse refuses for another reason: %v", serr)
		case lerr == nil && len(loose.PrevEvents) <= MaxPrevEvents && len(loose.AuthEvents) <= MaxAuthEvents:
			t.Fatalf("Parse refused the counts of %d prev_events and %d auth_events", len(loose.PrevEvents), len(loose.AuthEvents))
		}
	})
}
