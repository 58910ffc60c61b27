package version

import (
	"errors"
	"testing"
)

// specRow is what the spec's content/rooms/vN.md says about one version,
// written down by reading each page: the fragment or section each rule comes
// from is named next to the value it implies.
type specRow struct {
	id        ID
	format    EventFormat    // definition pdu_v1 / pdu_v3 / v4-, v6-, v11-event-format / v12-event-format
	eventIDs  EventIDFormat  // v1-event-ids / v3 "Event IDs" section / v4-event-ids
	redaction RedactionRules // v1- / v6- / v8 inline / v9- / v11-redactions
	auth      AuthRules      // v1- / v3- / v6 inline / v7 inline / v8- / v10, v11, v12 inline
	stateRes  StateRes       // v1 inline / v2-state-res / v12 inline
	strict    bool           // v6-canonical-json (vs v1-canonical-json)
	keyValid  bool           // v5-signing-requirements
	intPL     bool           // no v1-stringy-power-levels fragment (v10 "must be integers")
	floatPL   bool           // v1-floaty-power-levels
	aliases   bool           // auth rule "If type is `m.room.aliases`"
	knock     bool           // _index.md feature matrix: Knocking
	restrict  bool           // _index.md feature matrix: Restricted join rules
	knockRest bool           // _index.md feature matrix: knock_restricted join rule
	creator   bool           // auth rule "If `content` has no `creator` property, reject."
	creators  bool           // _index.md feature matrix: Additional room creators
	roomIDCr  bool           // v12 "Room IDs ... are instead a hash of the m.room.create event"
	redactsC  bool           // v11 "Moving the redacts property ... to a content property"
}

var specTable = []specRow{
	{id: "1", format: FormatV1, eventIDs: EventIDServerOpaque, redaction: RedactionV1, auth: AuthV1, stateRes: StateResV1,
		floatPL: true, aliases: true, creator: true},
	{id: "2", format: FormatV1, eventIDs: EventIDServerOpaque, redaction: RedactionV1, auth: AuthV1, stateRes: StateResV2,
		floatPL: true, aliases: true, creator: true},
	{id: "3", format: FormatV2, eventIDs: EventIDBase64, redaction: RedactionV1, auth: AuthV3, stateRes: StateResV2,
		floatPL: true, aliases: true, creator: true},
	{id: "4", format: FormatV2, eventIDs: EventIDURLSafeBase64, redaction: RedactionV1, auth: AuthV3, stateRes: StateResV2,
		floatPL: true, aliases: true, creator: true},
	{id: "5", format: FormatV2, eventIDs: EventIDURLSafeBase64, redaction: RedactionV1, auth: AuthV3, stateRes: StateResV2,
		keyValid: true, floatPL: true, aliases: true, creator: true},
	{id: "6", format: FormatV2, eventIDs: EventIDURLSafeBase64, redaction: RedactionV6, auth: AuthV6, stateRes: StateResV2,
		strict: true, keyValid: true, creator: true},
	{id: "7", format: FormatV2, eventIDs: EventIDURLSafeBase64, redaction: RedactionV6, auth: AuthV7, stateRes: StateResV2,
		strict: true, keyValid: true, knock: true, creator: true},
	{id: "8", format: FormatV2, eventIDs: EventIDURLSafeBase64, redaction: RedactionV8, auth: AuthV8, stateRes: StateResV2,
		strict: true, keyValid: true, knock: true, restrict: true, creator: true},
	{id: "9", format: FormatV2, eventIDs: EventIDURLSafeBase64, redaction: RedactionV9, auth: AuthV8, stateRes: StateResV2,
		strict: true, keyValid: true, knock: true, restrict: true, creator: true},
	{id: "10", format: FormatV2, eventIDs: EventIDURLSafeBase64, redaction: RedactionV9, auth: AuthV10, stateRes: StateResV2,
		strict: true, keyValid: true, intPL: true, knock: true, restrict: true, knockRest: true, creator: true},
	{id: "11", format: FormatV2, eventIDs: EventIDURLSafeBase64, redaction: RedactionV11, auth: AuthV11, stateRes: StateResV2,
		strict: true, keyValid: true, intPL: true, knock: true, restrict: true, knockRest: true, redactsC: true},
	{id: "12", format: FormatV3, eventIDs: EventIDURLSafeBase64, redaction: RedactionV11, auth: AuthV12, stateRes: StateResV21,
		strict: true, keyValid: true, intPL: true, knock: true, restrict: true, knockRest: true, creators: true,
		roomIDCr: true, redactsC: true},
}

func (r specRow) spec() Spec {
	return Spec{
		ID: r.id, Stable: true, Format: r.format, EventIDs: r.eventIDs, Redaction: r.redaction,
		Auth: r.auth, StateRes: r.stateRes, StrictCanonicalJSON: r.strict, EnforceKeyValidity: r.keyValid,
		IntegerPowerLevels: r.intPL, FloatPowerLevels: r.floatPL, SpecialCaseAliases: r.aliases,
		Knock: r.knock, Restricted: r.restrict, KnockRestricted: r.knockRest, CreatorInContent: r.creator,
		PrivilegedCreators: r.creators, RoomIDFromCreateEvent: r.roomIDCr, RedactsInContent: r.redactsC,
	}
}

func TestRegistryMatchesSpecTable(t *testing.T) {
	for _, row := range specTable {
		t.Run(string(row.id), func(t *testing.T) {
			got, err := Lookup(row.id)
			if err != nil {
				t.Fatalf("Lookup(%q): %v", row.id, err)
			}
			if want := row.spec(); got != want {
				t.Errorf("Lookup(%q)\n got %+v\nwant %+v", row.id, got, want)
			}
		})
	}
}

func TestAllIsOrderedAndComplete(t *testing.T) {
	all := All()
	if len(all) != len(specTable) {
		t.Fatalf("All() has %d versions, the spec lists %d", len(all), len(specTable))
	}
	for i, s := range all {
		if s.ID != specTable[i].id {
			t.Errorf("All()[%d].ID = %q, want %q", i, s.ID, specTable[i].id)
		}
	}
}

func TestLookupUnknown(t *testing.T) {
	for _, id := range []ID{"", "0", "13", "org.example.custom", " 1", "01"} {
		if _, err := Lookup(id); !errors.Is(err, ErrUnknown) {
			t.Errorf("Lookup(%q) error = %v, want ErrUnknown", id, err)
		}
	}
}

func TestDefaultIsStable(t *testing.T) {
	s, err := Lookup(Default)
	if err != nil || !s.Stable {
		t.Fatalf("Default %q: stable=%v err=%v", Default, s.Stable, err)
	}
	if Default != "12" {
		t.Errorf("Default = %q; rooms/_index.md says servers SHOULD default to 12", Default)
	}
}
