package signing

import (
	"errors"
	"testing"
)

// appendices.md "Unpadded Base64" examples, verbatim.
func TestEncodeBase64SpecExamples(t *testing.T) {
	for in, want := range map[string]string{
		"":       "",
		"f":      "Zg",
		"fo":     "Zm8",
		"foo":    "Zm9v",
		"foob":   "Zm9vYg",
		"fooba":  "Zm9vYmE",
		"foobar": "Zm9vYmFy",
	} {
		if got := EncodeBase64([]byte(in)); got != want {
			t.Errorf("EncodeBase64(%q) = %q, want %q", in, got, want)
		}
		got, err := DecodeBase64(want)
		if err != nil || string(got) != in {
			t.Errorf("DecodeBase64(%q) = %q, %v; want %q", want, got, err, in)
		}
	}
}

func TestEncodeURLBase64(t *testing.T) {
	in := []byte{0xfb, 0xff, 0xbf}
	if got := EncodeURLBase64(in); got != "-_-_" {
		t.Errorf("EncodeURLBase64 = %q, want -_-_", got)
	}
	if got := EncodeBase64(in); got != "+/+/" {
		t.Errorf("EncodeBase64 = %q, want +/+/", got)
	}
}

func TestDecodeBase64(t *testing.T) {
	tests := []struct {
		rule, in string
		want     string
		err      error
	}{
		{rule: "unpadded standard", in: "Zm9vYg", want: "foob"},
		{rule: "padded standard accepted", in: "Zm9vYg==", want: "foob"},
		{rule: "padded one char", in: "Zm9vYmE=", want: "fooba"},
		{rule: "standard alphabet", in: "+/+/", want: "\xfb\xff\xbf"},
		{rule: "URL-safe alphabet", in: "-_-_", want: "\xfb\xff\xbf"},
		{rule: "URL-safe padded", in: "-_8=", want: "\xfb\xff"},
		{rule: "non-zero trailing bits ignored", in: "Zh", want: "f"},
		{rule: "alphabets not mixed", in: "+_", err: ErrBase64},
		{rule: "wrong padding length", in: "Zg=", err: ErrBase64},
		{rule: "too much padding", in: "Zg===", err: ErrBase64},
		{rule: "padding in the middle", in: "Zg==Zg", err: ErrBase64},
		{rule: "impossible length", in: "Zm9vY", err: ErrBase64},
		{rule: "not base64", in: "Zm9v!", err: ErrBase64},
		{rule: "line breaks refused", in: "Zm9v\nYg", err: ErrBase64},
		{rule: "spaces refused", in: "Zm9v Yg", err: ErrBase64},
	}
	for _, tc := range tests {
		t.Run(tc.rule, func(t *testing.T) {
			got, err := DecodeBase64(tc.in)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Errorf("DecodeBase64(%q) = %q, %v; want %v", tc.in, got, err, tc.err)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Errorf("DecodeBase64(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestParseKeyID(t *testing.T) {
	tests := []struct {
		rule, in  string
		algorithm string
		version   string
		err       error
	}{
		{rule: "algorithm:version", in: "ed25519:1", algorithm: "ed25519", version: "1"},
		{rule: "version [a-zA-Z0-9_]", in: "ed25519:a_AbCd", algorithm: "ed25519", version: "a_AbCd"},
		{rule: "unknown algorithms parse", in: "signed_curve25519:AAAAHQ", algorithm: "signed_curve25519", version: "AAAAHQ"},
		{rule: "colon required", in: "ed25519", err: ErrKeyID},
		{rule: "algorithm required", in: ":abc", err: ErrKeyID},
		{rule: "version required", in: "ed25519:", err: ErrKeyID},
		{rule: "version: no '-'", in: "ed25519:a-b", err: ErrKeyID},
		{rule: "version: no second colon", in: "ed25519:a:b", err: ErrKeyID},
		{rule: "algorithm lower case", in: "Ed25519:1", err: ErrKeyID},
		{rule: "version: no non-ASCII", in: "ed25519:ä", err: ErrKeyID},
	}
	for _, tc := range tests {
		t.Run(tc.rule, func(t *testing.T) {
			id, err := ParseKeyID(tc.in)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Errorf("ParseKeyID(%q) = %q, %v; want %v", tc.in, id, err, tc.err)
				}
				return
			}
			if err != nil || id.Algorithm() != tc.algorithm || id.Version() != tc.version || id.String() != tc.in {
				t.Errorf("ParseKeyID(%q) = %q (%q, %q), %v", tc.in, id, id.Algorithm(), id.Version(), err)
			}
		})
	}
}

func TestKeyFromSeedRejects(t *testing.T) {
	seed := make([]byte, 32)
	if _, err := KeyFromSeed("curve25519:1", seed); !errors.Is(err, ErrAlgorithm) {
		t.Errorf("KeyFromSeed(curve25519) = %v, want ErrAlgorithm", err)
	}
	if _, err := KeyFromSeed("ed25519:1", seed[:31]); !errors.Is(err, ErrSeed) {
		t.Errorf("KeyFromSeed(31 bytes) = %v, want ErrSeed", err)
	}
	if _, err := KeyFromSeed("ed25519", seed); !errors.Is(err, ErrKeyID) {
		t.Errorf("KeyFromSeed(bad id) = %v, want ErrKeyID", err)
	}
}
