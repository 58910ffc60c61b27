package ids

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzParseServerName(f *testing.F) {
	for _, s := range []string{"matrix.org", "matrix.org:8888", "1.2.3.4", "1.2.3.4:1234", "[1234:5678::abcd]", "[1234:5678::abcd]:5678", "[::ffff:1.2.3.4]:1", "1.2.3.256", "a:65536", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, err := ParseServerName(s)
		if err != nil {
			return
		}
		host := name.Host()
		if strings.HasPrefix(s, "[") {
			host = "[" + host + "]"
		}
		if port, ok := name.Port(); ok {
			if port < 0 || port > 65535 {
				t.Fatalf("%q: port %d", s, port)
			}
			host += ":" + s[len(host)+1:]
			if n, _ := strconv.Atoi(s[strings.LastIndexByte(s, ':')+1:]); n != port {
				t.Fatalf("%q: Port() = %d", s, port)
			}
		}
		if host != s {
			t.Fatalf("%q: Host and Port rebuild %q", s, host)
		}
	})
}

func FuzzParseUserID(f *testing.F) {
	for _, s := range []string{"@alice:example.org", "@a0-.=_/+:example.org:8448", "@Alice:example.org", "@:example.org", "@a\x00:b", "@a:[::1]", "alice:example.org", "@alice"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		strict, strictErr := ParseUserID(s)
		lenient, lenientErr := ParseUserIDLenient(s)
		if strictErr == nil && lenientErr != nil {
			t.Fatalf("%q: strict accepts, lenient rejects: %v", s, lenientErr)
		}
		if strictErr == nil && (!strict.Compliant() || ValidLocalpart(strict.Localpart()) != nil) {
			t.Fatalf("%q: strict ID is not compliant", s)
		}
		if lenientErr != nil {
			return
		}
		checkSplit(t, s, '@', lenient.Localpart(), lenient.Server())
		if !utf8.ValidString(lenient.Localpart()) || strings.ContainsRune(lenient.Localpart(), 0) {
			t.Fatalf("%q: bad localpart accepted", s)
		}
	})
}

func FuzzParseRoomID(f *testing.F) {
	for _, s := range []string{"!abc:example.org", "!" + v4Hash, "!" + v3Hash, "!:a", "!a\x00:b", "!abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseRoomID(s)
		if err != nil {
			return
		}
		if id.HasServer() {
			checkSplit(t, s, '!', id.Opaque(), id.Server())
		} else if len(id.Opaque()) != hashIDLength || "!"+id.Opaque() != s {
			t.Fatalf("%q: hash ID split into %q", s, id.Opaque())
		}
	})
}

func FuzzParseEventID(f *testing.F) {
	for _, s := range []string{"$0:domain", "$" + v4Hash, "$" + v3Hash, "$:a", "$abc", "$" + v4Hash + "="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseEventID(s)
		if err != nil {
			return
		}
		if id.HasServer() {
			checkSplit(t, s, '$', id.Opaque(), id.Server())
		} else if len(id.Opaque()) != hashIDLength || "$"+id.Opaque() != s {
			t.Fatalf("%q: hash ID split into %q", s, id.Opaque())
		}
	})
}

func FuzzParseRoomAlias(f *testing.F) {
	for _, s := range []string{"#room:example.org", "#Ça va?:[::1]:80", "#:a", "#a", "#a\x00:b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseRoomAlias(s)
		if err != nil {
			return
		}
		checkSplit(t, s, '#', a.Localpart(), a.Server())
	})
}

// checkSplit asserts what every accepted "&local:server" ID satisfies.
func checkSplit(t *testing.T, s string, sigil byte, local string, server ServerName) {
	t.Helper()
	if len(s) > MaxLength {
		t.Fatalf("%q: %d bytes accepted", s, len(s))
	}
	if string(sigil)+local+":"+string(server) != s {
		t.Fatalf("%q: split into %q and %q", s, local, server)
	}
	if strings.ContainsRune(local, ':') {
		t.Fatalf("%q: localpart %q has a colon", s, local)
	}
	if _, err := ParseServerName(string(server)); err != nil {
		t.Fatalf("%q: server part %q: %v", s, server, err)
	}
}
