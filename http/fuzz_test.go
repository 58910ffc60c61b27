package http

import (
	"testing"

	"github.com/valyala/fasthttp"
)

// FuzzDecodeJSON: any body is either decoded or refused with M_NOT_JSON or
// M_BAD_JSON; nothing panics.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, `[`, `"x"`, `{"name":5}`, ``, `{"name":"\ud800"}`, "\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var ctx fasthttp.RequestCtx
		ctx.Request.SetBody(body)
		var v struct {
			Name string         `json:"name"`
			Any  map[string]any `json:"any"`
		}
		err := DecodeJSON(&ctx, &v)
		if err == nil {
			return
		}
		me, ok := err.(*Error)
		if !ok || (me.Code != CodeNotJSON && me.Code != CodeBadJSON) {
			t.Fatalf("DecodeJSON(%q) = %v", body, err)
		}
	})
}

// FuzzParam: a path parameter is either unescaped or refused with
// M_INVALID_PARAM.
func FuzzParam(f *testing.F) {
	for _, s := range []string{"%40alice%3Alocalhost", "%zz", "plain", "%", "a%2Fb", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		var ctx fasthttp.RequestCtx
		ctx.SetUserValue("p", raw)
		v, err := Param(&ctx, "p")
		if err != nil {
			if me, ok := err.(*Error); !ok || me.Code != CodeInvalidParam {
				t.Fatalf("Param(%q) = %v", raw, err)
			}
			return
		}
		if len(v) > len(raw) {
			t.Fatalf("unescaping grew %q to %q", raw, v)
		}
	})
}
