package client

import (
	"net/url"
	"testing"

	"github.com/valyala/fasthttp"
)

// FuzzTypeAndStateKey: any path tail either fails as a Matrix error or
// splits into a non-empty type and a state key that escape back to a tail
// that splits the same way.
func FuzzTypeAndStateKey(f *testing.F) {
	for _, s := range []string{"m.room.name", "m.room.name/", "m.room.member/@a:b", "x/a/b", "a%2Fb/c%2Fd", "%zz/", "/key"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		var ctx fasthttp.RequestCtx
		ctx.SetUserValue("typeAndKey", raw)
		typ, key, err := typeAndStateKey(&ctx)
		if err != nil {
			return
		}
		if typ == "" {
			t.Fatalf("%q: empty type accepted", raw)
		}
		ctx.SetUserValue("typeAndKey", url.PathEscape(typ)+"/"+url.PathEscape(key))
		typ2, key2, err := typeAndStateKey(&ctx)
		if err != nil || typ2 != typ || key2 != key {
			t.Fatalf("%q → (%q, %q) → (%q, %q, %v)", raw, typ, key, typ2, key2, err)
		}
	})
}

func TestTypeAndStateKey(t *testing.T) {
	tests := []struct {
		raw, typ, key string
		ok            bool
	}{
		{"m.room.name", "m.room.name", "", true},
		{"m.room.name/", "m.room.name", "", true},
		{"m.room.member/@a:b", "m.room.member", "@a:b", true},
		{"x/a/b", "x", "a/b", true},
		{"a%2Fb/c%2Fd", "a/b", "c/d", true},
		{"%zz/", "", "", false},
		{"/key", "", "", false},
	}
	for _, tc := range tests {
		var ctx fasthttp.RequestCtx
		ctx.SetUserValue("typeAndKey", tc.raw)
		typ, key, err := typeAndStateKey(&ctx)
		if (err == nil) != tc.ok || typ != tc.typ || key != tc.key {
			t.Errorf("%q → %q %q %v", tc.raw, typ, key, err)
		}
	}
}
