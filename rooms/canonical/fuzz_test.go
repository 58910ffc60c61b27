package canonical

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

func FuzzCanonicalize(f *testing.F) {
	for _, tc := range specExamples {
		f.Add([]byte(tc.in))
	}
	for _, s := range []string{
		`{"a": -0, "b": 1e10}`, `[1.5, 1e400, -0.0, 9007199254740992, 12345678901234567890.0]`,
		`{"a":1,"a":2}`, `"\ud83d\ude00\u0000\u001f\/"`, `"\ud800"`, "\"\xff\"", `{"b":{"d":1,"c":2},"a":[]}`,
		`[[[[[]]]]]`, `{"":""}`, `tru`, ` null `, `0.00001`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := Canonicalize(data)
		strictOut, strictErr := CanonicalizeStrict(data)
		// Valid checks syntax only: it agrees with Canonicalize except where
		// a number is beyond the double range, which stops Canonicalize
		// before it would find any later syntax error.
		if valid := Valid(data); !errors.Is(err, ErrNumberRange) && valid != (err == nil) {
			t.Fatalf("Valid = %v but Canonicalize error = %v", valid, err)
		}
		if strictErr == nil && err != nil {
			t.Fatalf("strict accepts, lenient rejects: %v", err)
		}
		if err != nil {
			return
		}
		if !json.Valid(data) {
			t.Fatalf("accepted input encoding/json calls invalid")
		}
		if !json.Valid(out) {
			t.Fatalf("output is not JSON: %q", out)
		}
		again, err := Canonicalize(out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("not idempotent: %q -> %q, %v", out, again, err)
		}
		if len(out) > 0 && out[0] == '{' {
			members, err := Members(out)
			if err != nil {
				t.Fatalf("Members(output): %v", err)
			}
			if joined := AppendObject(nil, members); !bytes.Equal(joined, out) {
				t.Fatalf("AppendObject(Members(%q)) = %q", out, joined)
			}
		}
		if strictErr != nil {
			return
		}
		if !bytes.Equal(strictOut, out) {
			t.Fatalf("strict %q differs from lenient %q", strictOut, out)
		}
		if again, err := CanonicalizeStrict(strictOut); err != nil || !bytes.Equal(again, strictOut) {
			t.Fatalf("strict rejects or changes its own output %q: %q, %v", strictOut, again, err)
		}
		// Strict input has only safe integers and unique keys, so it and the
		// output must decode to the same value.
		if a, b := decode(t, data), decode(t, out); !reflect.DeepEqual(a, b) {
			t.Fatalf("value changed: %#v vs %#v", a, b)
		}
	})
}

// decode decodes JSON with integers as int64 (so -0 and 0 are equal).
func decode(t *testing.T, data []byte) any {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("encoding/json rejects %q: %v", data, err)
	}
	return ints(t, v)
}

func ints(t *testing.T, v any) any {
	switch v := v.(type) {
	case json.Number:
		n, err := v.Int64()
		if err != nil {
			t.Fatalf("number %s: %v", v, err)
		}
		return n
	case []any:
		for i := range v {
			v[i] = ints(t, v[i])
		}
	case map[string]any:
		for k := range v {
			v[k] = ints(t, v[k])
		}
	}
	return v
}

// FuzzMembers checks the member-level API against the whole-value encoder:
// splitting an object, canonicalising each value and joining gives what
// Canonicalize gives.
func FuzzMembers(f *testing.F) {
	for _, s := range []string{`{}`, `{"b":[1, {"y":2,"x":1}],"a":"s"}`, `{"a":1,"a":2}`, ` {"\u0061":null} `, `[1]`, `{"a":}`, `{"a":1}x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		members, err := Members(data)
		whole, wholeErr := Canonicalize(data)
		if err != nil {
			if wholeErr == nil && !errors.Is(err, ErrNotObject) {
				t.Fatalf("Members rejects (%v) what Canonicalize accepts", err)
			}
			return
		}
		if !Valid(data) {
			t.Fatalf("Members accepts what Valid rejects")
		}
		if wholeErr != nil {
			if !errors.Is(wholeErr, ErrNumberRange) {
				t.Fatalf("Members accepts what Canonicalize rejects: %v", wholeErr)
			}
			return
		}
		for i := range members {
			v, err := Canonicalize(members[i].Value)
			if err != nil {
				t.Fatalf("member %q value %q: %v", members[i].Key, members[i].Value, err)
			}
			members[i].Value = v
		}
		if joined := AppendObject(nil, members); !bytes.Equal(joined, whole) {
			t.Fatalf("joined members %q, Canonicalize %q", joined, whole)
		}
	})
}

// FuzzUnquote: a decoded string re-encodes to a string that decodes back
// to it and is already canonical.
func FuzzUnquote(f *testing.F) {
	for _, s := range []string{`"abc"`, `"\u00e9\ud83d\ude00\n\u0000"`, `"\ud800"`, `1`, `"a" `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Unquote(data)
		if err != nil {
			return
		}
		quoted := AppendString(nil, s)
		if back, err := Unquote(quoted); err != nil || back != s {
			t.Fatalf("Unquote(AppendString(%q)) = %q, %v", s, back, err)
		}
		if canon, err := CanonicalizeStrict(quoted); err != nil || !bytes.Equal(canon, quoted) {
			t.Fatalf("AppendString(%q) = %q is not canonical (%q, %v)", s, quoted, canon, err)
		}
		if canon, err := CanonicalizeStrict(data); err != nil || !bytes.Equal(canon, quoted) {
			t.Fatalf("Canonicalize(%q) = %q, %v; AppendString gives %q", data, canon, err, quoted)
		}
	})
}
