package ids

import (
	"errors"
	"strings"
	"testing"
)

func TestParseUserID(t *testing.T) {
	long := "@" + strings.Repeat("a", MaxLength-len("@:example.org")) + ":example.org"
	tests := []struct {
		rule, in      string
		local, server string
		strictErr     error
		lenientErr    error // nil with strictErr set: accepted only leniently
	}{
		{rule: "user_id_char: a-z", in: "@alice:example.org", local: "alice", server: "example.org"},
		{rule: "user_id_char: digits and - . = _ / +", in: "@a0-.=_/+:example.org", local: "a0-.=_/+", server: "example.org"},
		{rule: "server_name with port", in: "@a:example.org:8448", local: "a", server: "example.org:8448"},
		{rule: "server_name IPv6 with port", in: "@a:[::1]:8448", local: "a", server: "[::1]:8448"},
		{rule: "255 bytes allowed", in: long, local: long[1 : len(long)-len(":example.org")], server: "example.org"},

		{rule: "historical: upper case", in: "@Alice:example.org", local: "Alice", server: "example.org", strictErr: ErrLocalpart},
		{rule: "historical: empty localpart", in: "@:example.org", local: "", server: "example.org", strictErr: ErrLocalpart},
		{rule: "historical: non-ASCII", in: "@ünïcödé:example.org", local: "ünïcödé", server: "example.org", strictErr: ErrLocalpart},
		{rule: "historical: control characters", in: "@a\x01b:example.org", local: "a\x01b", server: "example.org", strictErr: ErrLocalpart},
		{rule: "historical: punctuation", in: "@a*b!c:example.org", local: "a*b!c", server: "example.org", strictErr: ErrLocalpart},

		{rule: "sigil @ required", in: "alice:example.org", strictErr: ErrSigil, lenientErr: ErrSigil},
		{rule: "wrong sigil", in: "#alice:example.org", strictErr: ErrSigil, lenientErr: ErrSigil},
		{rule: "empty", in: "", strictErr: ErrSigil, lenientErr: ErrSigil},
		{rule: "':' server_name required", in: "@alice", strictErr: ErrNoServer, lenientErr: ErrNoServer},
		{rule: "server_name must be valid", in: "@alice:exa_mple.org", strictErr: ErrServerName, lenientErr: ErrServerName},
		{rule: "server_name must not be empty", in: "@alice:", strictErr: ErrServerName, lenientErr: ErrServerName},
		{rule: "at most 255 bytes", in: "@a" + long[1:], strictErr: ErrTooLong, lenientErr: ErrTooLong},
		{rule: "historical: no NUL", in: "@a\x00b:example.org", strictErr: ErrLocalpart, lenientErr: ErrLocalpart},
		{rule: "historical: no invalid UTF-8", in: "@a\xffb:example.org", strictErr: ErrLocalpart, lenientErr: ErrLocalpart},
		{rule: "historical: no surrogates", in: "@a\xed\xa0\x80:example.org", strictErr: ErrLocalpart, lenientErr: ErrLocalpart},
	}
	for _, tc := range tests {
		t.Run(tc.rule, func(t *testing.T) {
			got, err := ParseUserID(tc.in)
			if tc.strictErr != nil {
				if !errors.Is(err, tc.strictErr) {
					t.Errorf("ParseUserID(%q) = %q, %v; want %v", tc.in, got, err, tc.strictErr)
				}
			} else if err != nil {
				t.Errorf("ParseUserID(%q): %v", tc.in, err)
			}
			got, err = ParseUserIDLenient(tc.in)
			if tc.lenientErr != nil {
				if !errors.Is(err, tc.lenientErr) {
					t.Errorf("ParseUserIDLenient(%q) = %q, %v; want %v", tc.in, got, err, tc.lenientErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseUserIDLenient(%q): %v", tc.in, err)
			}
			if got.Localpart() != tc.local || got.Server() != ServerName(tc.server) || got.String() != tc.in {
				t.Errorf("split %q into %q, %q", tc.in, got.Localpart(), got.Server())
			}
		})
	}
}

func TestUserIDCompliant(t *testing.T) {
	for in, want := range map[string]bool{
		"@alice:example.org":     true,
		"@Alice!~:example.org":   true, // U+0021 to U+007E
		"@:example.org":          false,
		"@a b:example.org":       false,
		"@ünïcödé:example.org":   false,
		"@a\x7fb:example.org":    false,
		"@a\x01:example.org":     false,
		"@a_long-one:[::1]:8448": true,
	} {
		id, err := ParseUserIDLenient(in)
		if err != nil {
			t.Fatalf("ParseUserIDLenient(%q): %v", in, err)
		}
		if id.Compliant() != want {
			t.Errorf("%q.Compliant() = %v, want %v", in, id.Compliant(), want)
		}
	}
}

func TestValidLocalpartAndNewUserID(t *testing.T) {
	for in, want := range map[string]error{
		"alice":       nil,
		"a.b_c=d-e/f": nil,
		"a+tag":       nil,
		"":            ErrLocalpart,
		"Alice":       ErrLocalpart,
		"a:b":         ErrLocalpart,
		"a b":         ErrLocalpart,
		"ä":           ErrLocalpart,
	} {
		if err := ValidLocalpart(in); !errors.Is(err, want) {
			t.Errorf("ValidLocalpart(%q) = %v, want %v", in, err, want)
		}
	}
	id, err := NewUserID("alice", "example.org")
	if err != nil || id != "@alice:example.org" {
		t.Errorf("NewUserID = %q, %v", id, err)
	}
	if _, err := NewUserID(strings.Repeat("a", 250), "example.org"); !errors.Is(err, ErrTooLong) {
		t.Errorf("NewUserID(too long) = %v, want ErrTooLong", err)
	}
	if _, err := NewUserID("alice", "bad name"); !errors.Is(err, ErrServerName) {
		t.Errorf("NewUserID(bad server) = %v, want ErrServerName", err)
	}
}

const (
	v4Hash = "Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg" // rooms/v4.md example
	v3Hash = "acR1l0raoZnm60CBwAVgqbZqoO/mYU81xysh1u7XcJk" // rooms/v3.md example
)

func TestParseRoomID(t *testing.T) {
	tests := []struct {
		rule, in string
		opaque   string
		server   string
		err      error
	}{
		{rule: "!opaque_id:domain", in: "!abcDEF123:example.org", opaque: "abcDEF123", server: "example.org"},
		{rule: "localpart: any non-surrogate code point", in: "!ü \x01*:example.org", opaque: "ü \x01*", server: "example.org"},
		{rule: "domain with port", in: "!x:1.2.3.4:80", opaque: "x", server: "1.2.3.4:80"},
		{rule: "v12: URL-safe hash without domain", in: "!" + v4Hash, opaque: v4Hash},

		{rule: "sigil ! required", in: "$abc:example.org", err: ErrSigil},
		{rule: "localpart must not be empty", in: "!:example.org", err: ErrLocalpart},
		{rule: "localpart: no NUL", in: "!a\x00:example.org", err: ErrLocalpart},
		{rule: "localpart: valid UTF-8", in: "!a\xc3:example.org", err: ErrLocalpart},
		{rule: "domain must be a server name", in: "!abc:exa mple.org", err: ErrServerName},
		{rule: "v12: hash is 43 chars", in: "!" + v4Hash[:42], err: ErrOpaque},
		{rule: "v12: hash is URL-safe base64", in: "!" + v3Hash, err: ErrOpaque},
		{rule: "v12: bare localpart is not a hash", in: "!abc", err: ErrOpaque},
		{rule: "at most 255 bytes", in: "!" + strings.Repeat("a", 250) + ":example.org", err: ErrTooLong},
	}
	for _, tc := range tests {
		t.Run(tc.rule, func(t *testing.T) {
			got, err := ParseRoomID(tc.in)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Errorf("ParseRoomID(%q) = %q, %v; want %v", tc.in, got, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseRoomID(%q): %v", tc.in, err)
			}
			if got.Opaque() != tc.opaque || got.Server() != ServerName(tc.server) || got.HasServer() != (tc.server != "") {
				t.Errorf("split %q into %q, %q, %v", tc.in, got.Opaque(), got.Server(), got.HasServer())
			}
		})
	}
}

func TestParseEventID(t *testing.T) {
	tests := []struct {
		rule, in string
		opaque   string
		server   string
		err      error
	}{
		{rule: "v1: $opaque_id:domain", in: "$0:domain", opaque: "0", server: "domain"},
		{rule: "v1: random string", in: "$randomstring:example.org", opaque: "randomstring", server: "example.org"},
		{rule: "v3: standard base64 hash", in: "$" + v3Hash, opaque: v3Hash},
		{rule: "v3: spec example", in: "$CD66HAED5npg6074c6pDtLKalHjVfYb2q4Q3LZgrW6o", opaque: "CD66HAED5npg6074c6pDtLKalHjVfYb2q4Q3LZgrW6o"},
		{rule: "v4: URL-safe base64 hash", in: "$" + v4Hash, opaque: v4Hash},

		{rule: "sigil $ required", in: "!" + v4Hash, err: ErrSigil},
		{rule: "empty", in: "", err: ErrSigil},
		{rule: "hash: 43 characters", in: "$" + v4Hash + "A", err: ErrOpaque},
		{rule: "hash: no padding", in: "$" + v4Hash[:42] + "=", err: ErrOpaque},
		{rule: "hash: one alphabet", in: "$" + "+" + v4Hash[1:], err: ErrOpaque},
		{rule: "v1: localpart must not be empty", in: "$:domain", err: ErrLocalpart},
		{rule: "v1: domain must be valid", in: "$a:", err: ErrServerName},
		{rule: "at most 255 bytes", in: "$" + strings.Repeat("a", 250) + ":example.org", err: ErrTooLong},
	}
	for _, tc := range tests {
		t.Run(tc.rule, func(t *testing.T) {
			got, err := ParseEventID(tc.in)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Errorf("ParseEventID(%q) = %q, %v; want %v", tc.in, got, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseEventID(%q): %v", tc.in, err)
			}
			if got.Opaque() != tc.opaque || got.Server() != ServerName(tc.server) || got.HasServer() != (tc.server != "") {
				t.Errorf("split %q into %q, %q", tc.in, got.Opaque(), got.Server())
			}
		})
	}
}

func TestParseRoomAlias(t *testing.T) {
	tests := []struct {
		rule, in string
		local    string
		server   string
		err      error
	}{
		{rule: "#room_alias:domain", in: "#room:example.org", local: "room", server: "example.org"},
		{rule: "localpart: any non-surrogate code point", in: "#Ça va?:example.org", local: "Ça va?", server: "example.org"},
		{rule: "sigil # required", in: "@room:example.org", err: ErrSigil},
		{rule: "':' domain required", in: "#room", err: ErrNoServer},
		{rule: "localpart must not be empty", in: "#:example.org", err: ErrLocalpart},
		{rule: "localpart: no NUL", in: "#a\x00:example.org", err: ErrLocalpart},
		{rule: "domain must be valid", in: "#a:b:c", err: ErrServerName},
		{rule: "at most 255 bytes", in: "#" + strings.Repeat("a", 250) + ":example.org", err: ErrTooLong},
	}
	for _, tc := range tests {
		t.Run(tc.rule, func(t *testing.T) {
			got, err := ParseRoomAlias(tc.in)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Errorf("ParseRoomAlias(%q) = %q, %v; want %v", tc.in, got, err, tc.err)
				}
				return
			}
			if err != nil || got.Localpart() != tc.local || got.Server() != ServerName(tc.server) {
				t.Errorf("ParseRoomAlias(%q) = %q (%q, %q), %v", tc.in, got, got.Localpart(), got.Server(), err)
			}
		})
	}
}
