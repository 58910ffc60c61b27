package canonical

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// The examples of appendices.md "Canonical JSON", verbatim.
var specExamples = []struct{ in, want string }{
	{`{}`, `{}`},
	{`{
    "one": 1,
    "two": "Two"
}`, `{"one":1,"two":"Two"}`},
	{`{
    "b": "2",
    "a": "1"
}`, `{"a":"1","b":"2"}`},
	{`{"b":"2","a":"1"}`, `{"a":"1","b":"2"}`},
	{`{
    "auth": {
        "success": true,
        "mxid": "@john.doe:example.com",
        "profile": {
            "display_name": "John Doe",
            "three_pids": [
                {
                    "medium": "email",
                    "address": "john.doe@example.org"
                },
                {
                    "medium": "msisdn",
                    "address": "123456789"
                }
            ]
        }
    }
}`, `{"auth":{"mxid":"@john.doe:example.com","profile":{"display_name":"John Doe","three_pids":[{"address":"john.doe@example.org","medium":"email"},{"address":"123456789","medium":"msisdn"}]},"success":true}}`},
	{`{
    "a": "日本語"
}`, `{"a":"日本語"}`},
	{`{
    "本": 2,
    "日": 1
}`, `{"日":1,"本":2}`},
	{`{
    "a": "\u65E5"
}`, `{"a":"日"}`},
	{`{
    "a": null
}`, `{"a":null}`},
}

func TestSpecExamples(t *testing.T) {
	for _, tc := range specExamples {
		for name, fn := range map[string]func([]byte) ([]byte, error){"lenient": Canonicalize, "strict": CanonicalizeStrict} {
			got, err := fn([]byte(tc.in))
			if err != nil {
				t.Errorf("%s(%s): %v", name, tc.in, err)
				continue
			}
			if string(got) != tc.want {
				t.Errorf("%s(%s) = %s, want %s", name, tc.in, got, tc.want)
			}
		}
	}
}

// The spec's last example has an exponent; lenient mode turns it into the
// integer the spec shows, strict mode (room versions 6+) refuses exponents.
func TestSpecExampleExponent(t *testing.T) {
	in := []byte(`{
    "a": -0,
    "b": 1e10
}`)
	got, err := Canonicalize(in)
	if err != nil || string(got) != `{"a":0,"b":10000000000}` {
		t.Errorf("Canonicalize = %s, %v; want {\"a\":0,\"b\":10000000000}", got, err)
	}
	if _, err := CanonicalizeStrict(in); !errors.Is(err, ErrFloat) {
		t.Errorf("CanonicalizeStrict error = %v, want ErrFloat", err)
	}
}

func TestStrings(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"dedicated escapes kept", `"\b\t\n\f\r\"\\"`, `"\b\t\n\f\r\"\\"`},
		{"dedicated escapes from \\u", `"\u0008\u0009\u000A\u000c\u000D\u0022\u005C"`, `"\b\t\n\f\r\"\\"`},
		{"other controls as lower-case \\u00XX", `"\u0000\u0001\u001F\u000B\u000E\u001a"`, `"\u0000\u0001\u001f\u000b\u000e\u001a"`},
		{"solidus unescaped", `"\/a/"`, `"/a/"`},
		{"DEL is not a control", `"\u007f"`, "\"\x7f\""},
		{"non-ASCII as UTF-8", `"\u00e9\u2028"`, "\"é\u2028\""},
		{"surrogate pair joined", `"\ud83d\ude00"`, `"😀"`},
		{"upper-case surrogate pair", `"\uD83D\uDE00"`, `"😀"`},
		{"raw UTF-8 kept", `"😀 日本"`, `"😀 日本"`},
		{"html characters unescaped", `"\u003c\u003e\u0026"`, `"<>&"`},
		{"empty", `""`, `""`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CanonicalizeStrict([]byte(tc.in))
			if err != nil || string(got) != tc.want {
				t.Errorf("CanonicalizeStrict(%s) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestNumbers(t *testing.T) {
	tests := []struct {
		name, in      string
		lenient       string
		lenientErr    error
		strictErr     error
		strictSameAsL bool
	}{
		{name: "zero", in: "0", lenient: "0", strictSameAsL: true},
		{name: "negative zero becomes zero", in: "-0", lenient: "0", strictSameAsL: true},
		{name: "max safe", in: "9007199254740991", lenient: "9007199254740991", strictSameAsL: true},
		{name: "min safe", in: "-9007199254740991", lenient: "-9007199254740991", strictSameAsL: true},
		{name: "2**53 kept leniently", in: "9007199254740992", lenient: "9007199254740992", strictErr: ErrIntegerRange},
		{name: "-(2**53) kept leniently", in: "-9007199254740992", lenient: "-9007199254740992", strictErr: ErrIntegerRange},
		{name: "huge integer kept digit for digit", in: "123456789012345678901234567890", lenient: "123456789012345678901234567890", strictErr: ErrIntegerRange},
		{name: "integral fraction", in: "1.0", lenient: "1", strictErr: ErrFloat},
		{name: "negative zero fraction", in: "-0.0", lenient: "0", strictErr: ErrFloat},
		{name: "exponent", in: "1E+2", lenient: "100", strictErr: ErrFloat},
		{name: "fraction", in: "1.5", lenient: "1.5", strictErr: ErrFloat},
		{name: "negative fraction", in: "-0.25", lenient: "-0.25", strictErr: ErrFloat},
		{name: "small fixed", in: "0.0001", lenient: "0.0001", strictErr: ErrFloat},
		{name: "small exponent like Python", in: "0.00001", lenient: "1e-05", strictErr: ErrFloat},
		{name: "large exponent like Python", in: "1e20", lenient: "1e+20", strictErr: ErrFloat},
		{name: "beyond safe but fixed like Python", in: "9007199254740994.0", lenient: "9007199254740994.0", strictErr: ErrFloat},
		{name: "Python rounds long mantissas", in: "12345678901234567890.0", lenient: "1.2345678901234567e+19", strictErr: ErrFloat},
		{name: "precision rounded", in: "1.0101010101010101010101010101010108", lenient: "1.0101010101010102", strictErr: ErrFloat},
		{name: "beyond double", in: "1e400", lenientErr: ErrNumberRange, strictErr: ErrFloat},
		{name: "leading zero", in: "01", lenientErr: ErrSyntax, strictErr: ErrSyntax},
		{name: "bare minus", in: "-", lenientErr: ErrSyntax, strictErr: ErrSyntax},
		{name: "dot without digits", in: "1.", lenientErr: ErrSyntax, strictErr: ErrSyntax},
		{name: "exponent without digits", in: "1e+", lenientErr: ErrSyntax, strictErr: ErrSyntax},
		{name: "plus sign", in: "+1", lenientErr: ErrSyntax, strictErr: ErrSyntax},
		{name: "NaN", in: "NaN", lenientErr: ErrSyntax, strictErr: ErrSyntax},
		{name: "Infinity", in: "-Infinity", lenientErr: ErrSyntax, strictErr: ErrSyntax},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Canonicalize([]byte(tc.in))
			if tc.lenientErr != nil {
				if !errors.Is(err, tc.lenientErr) {
					t.Errorf("Canonicalize(%s) = %s, %v; want %v", tc.in, got, err, tc.lenientErr)
				}
			} else if err != nil || string(got) != tc.lenient {
				t.Errorf("Canonicalize(%s) = %s, %v; want %s", tc.in, got, err, tc.lenient)
			}
			got, err = CanonicalizeStrict([]byte(tc.in))
			if tc.strictSameAsL {
				if err != nil || string(got) != tc.lenient {
					t.Errorf("CanonicalizeStrict(%s) = %s, %v; want %s", tc.in, got, err, tc.lenient)
				}
			} else if !errors.Is(err, tc.strictErr) {
				t.Errorf("CanonicalizeStrict(%s) = %s, %v; want %v", tc.in, got, err, tc.strictErr)
			}
		})
	}
}

func TestObjects(t *testing.T) {
	tests := []struct {
		name, in, want string
		strictErr      error
	}{
		{name: "code point order, not UTF-16 order", in: `{"\uff61":1,"😀":2}`, want: `{"｡":1,"😀":2}`},
		{name: "escaped key sorted by decoded value", in: `{"b":1,"\u0061":2}`, want: `{"a":2,"b":1}`},
		{name: "key escapes re-encoded", in: `{"\"":1,"\n":2}`, want: `{"\n":2,"\"":1}`},
		{name: "nested objects sorted", in: `{"z":{"y":1,"x":[{"b":1,"a":2}]},"a":[]}`, want: `{"a":[],"z":{"x":[{"a":2,"b":1}],"y":1}}`},
		{name: "whitespace removed", in: " \t\n\r{ \"a\" : [ 1 , 2 ] , \"b\" : { } } \n", want: `{"a":[1,2],"b":{}}`},
		{name: "duplicate key: last wins leniently", in: `{"a":1,"b":2,"a":3}`, want: `{"a":3,"b":2}`, strictErr: ErrDuplicateKey},
		{name: "duplicate via escape", in: `{"a":1,"\u0061":3}`, want: `{"a":3}`, strictErr: ErrDuplicateKey},
		{name: "nested duplicate", in: `{"x":{"k":{"b":1,"b":2}},"a":1}`, want: `{"a":1,"x":{"k":{"b":2}}}`, strictErr: ErrDuplicateKey},
		{name: "top-level scalar", in: ` "s" `, want: `"s"`},
		{name: "top-level array", in: `[true,false,null]`, want: `[true,false,null]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Canonicalize([]byte(tc.in))
			if err != nil || string(got) != tc.want {
				t.Errorf("Canonicalize(%s) = %s, %v; want %s", tc.in, got, err, tc.want)
			}
			got, err = CanonicalizeStrict([]byte(tc.in))
			if tc.strictErr != nil {
				if !errors.Is(err, tc.strictErr) {
					t.Errorf("CanonicalizeStrict(%s) error = %v, want %v", tc.in, err, tc.strictErr)
				}
			} else if err != nil || string(got) != tc.want {
				t.Errorf("CanonicalizeStrict(%s) = %s, %v; want %s", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestRejects(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"empty input", ``, ErrSyntax},
		{"only whitespace", "  ", ErrSyntax},
		{"trailing garbage", `{} x`, ErrSyntax},
		{"two values", `1 2`, ErrSyntax},
		{"trailing comma in object", `{"a":1,}`, ErrSyntax},
		{"trailing comma in array", `[1,]`, ErrSyntax},
		{"unquoted key", `{a:1}`, ErrSyntax},
		{"missing colon", `{"a" 1}`, ErrSyntax},
		{"unterminated string", `"abc`, ErrSyntax},
		{"unterminated object", `{"a":1`, ErrSyntax},
		{"raw control character", "\"a\x01\"", ErrSyntax},
		{"raw newline in string", "\"a\nb\"", ErrSyntax},
		{"unknown escape", `"\x41"`, ErrSyntax},
		{"short \\u escape", `"\u12"`, ErrSyntax},
		{"bad hex", `"\u12g4"`, ErrSyntax},
		{"capitalised literal", `True`, ErrSyntax},
		{"truncated literal", `nul`, ErrSyntax},
		{"single quotes", `'a'`, ErrSyntax},
		{"lone high surrogate", `"\ud800"`, ErrLoneSurrogate},
		{"lone low surrogate", `"\udc00"`, ErrLoneSurrogate},
		{"high surrogate then letter", `"\ud800\u0041"`, ErrLoneSurrogate},
		{"two high surrogates", `"\ud800\ud800"`, ErrLoneSurrogate},
		{"surrogate in key", `{"\udfff":1}`, ErrLoneSurrogate},
		{"invalid UTF-8 byte", "\"\xff\"", ErrInvalidUTF8},
		{"UTF-8 encoded surrogate", "\"\xed\xa0\x80\"", ErrInvalidUTF8},
		{"overlong UTF-8", "\"\xc0\xaf\"", ErrInvalidUTF8},
		{"truncated UTF-8", "\"\xe6\x97\"", ErrInvalidUTF8},
		{"too deep", strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1), ErrTooDeep},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for name, fn := range map[string]func([]byte) ([]byte, error){"lenient": Canonicalize, "strict": CanonicalizeStrict} {
				got, err := fn([]byte(tc.in))
				if !errors.Is(err, tc.want) {
					t.Errorf("%s(%q) = %q, %v; want %v", name, tc.in, got, err, tc.want)
				}
			}
		})
	}
	deepest := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	if _, err := CanonicalizeStrict([]byte(deepest)); err != nil {
		t.Errorf("nesting of exactly MaxDepth: %v", err)
	}
}

func TestAppendKeepsPrefix(t *testing.T) {
	got, err := Append([]byte("prefix:"), []byte(`{"b":1,"a":2}`))
	if err != nil || string(got) != `prefix:{"a":2,"b":1}` {
		t.Errorf("Append = %s, %v", got, err)
	}
	got, err = AppendStrict([]byte("prefix:"), []byte(`{"b":1.5}`))
	if !errors.Is(err, ErrFloat) || string(got) != "prefix:" {
		t.Errorf("AppendStrict on error = %q, %v; want the prefix and ErrFloat", got, err)
	}
}

func TestMarshal(t *testing.T) {
	got, err := Marshal(map[string]any{"z": "<&>", "a": []int{3, 1}, "m": map[string]bool{"y": true, "x": false}})
	want := `{"a":[3,1],"m":{"x":false,"y":true},"z":"<&>"}`
	if err != nil || string(got) != want {
		t.Errorf("Marshal = %s, %v; want %s", got, err, want)
	}
	if _, err := Marshal(func() {}); err == nil {
		t.Error("Marshal(func) succeeded")
	}
}

// The output agrees with encoding/json about the value it encodes.
func TestOutputDecodesToSameValue(t *testing.T) {
	in := []byte(`{"b":[1,"\u00e9",{"d":null,"c":true}],"a":"\ud83d\ude00\t"}`)
	got, err := CanonicalizeStrict(in)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if err := json.Unmarshal(in, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(got, &b); err != nil {
		t.Fatalf("output %s is not JSON: %v", got, err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Errorf("value changed: %s vs %s", ja, jb)
	}
}
