package federation

import (
	"errors"
	"testing"

	"github.com/axonhs/axon/rooms/signing"
)

func TestParseAuthorization(t *testing.T) {
	want := Authorization{Origin: "origin.example", Destination: "dest.example", Key: "ed25519:key1", Sig: "ABCDEF"}
	for _, tc := range []struct {
		name, header string
		want         Authorization
		err          error
	}{
		{"spec example", `X-Matrix origin="origin.example",destination="dest.example",key="ed25519:key1",sig="ABCDEF"`, want, nil},
		{"unquoted with colon", `X-Matrix origin=origin.example,destination=dest.example,key=ed25519:key1,sig=ABCDEF`, want, nil},
		{"scheme case and spaces", "x-matrix   origin=\"origin.example\" ,\tdestination=\"dest.example\", key=\"ed25519:key1\" , sig=\"ABCDEF\"", want, nil},
		{"names case-insensitive, any order", `X-Matrix SIG="ABCDEF",Key="ed25519:key1",DESTINATION="dest.example",Origin="origin.example"`, want, nil},
		{"escapes unescaped", `X-Matrix origin="origin\.example",destination="dest.example",key="ed25519:key1",sig="ABC\DEF"`, want, nil},
		{"unknown params ignored", `X-Matrix foo="a,b",origin="origin.example",destination="dest.example",key="ed25519:key1",sig="ABCDEF",bar=1`, want, nil},
		{"no destination", `X-Matrix origin="o.example",key="ed25519:k",sig="S"`, Authorization{Origin: "o.example", Key: "ed25519:k", Sig: "S"}, nil},
		{"comma inside quotes", `X-Matrix origin="a,b",key="ed25519:k",sig="S"`, Authorization{Origin: "a,b", Key: "ed25519:k", Sig: "S"}, nil},
		{"wrong scheme", `Bearer abc`, Authorization{}, ErrBadAuthHeader},
		{"no space after scheme", `X-Matrixorigin="o",key="ed25519:k",sig="S"`, Authorization{}, ErrBadAuthHeader},
		{"missing sig", `X-Matrix origin="o",key="ed25519:k"`, Authorization{}, ErrBadAuthHeader},
		{"missing origin", `X-Matrix key="ed25519:k",sig="S"`, Authorization{}, ErrBadAuthHeader},
		{"bad key id", `X-Matrix origin="o",key="nocolon",sig="S"`, Authorization{}, ErrBadAuthHeader},
		{"unterminated quote", `X-Matrix origin="o,key="ed25519:k",sig="S`, Authorization{}, ErrBadAuthHeader},
		{"repeated param", `X-Matrix origin="o",origin="p",key="ed25519:k",sig="S"`, Authorization{}, ErrBadAuthHeader},
		{"garbage between params", `X-Matrix origin="o" junk,key="ed25519:k",sig="S"`, Authorization{}, ErrBadAuthHeader},
		{"empty", ``, Authorization{}, ErrBadAuthHeader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseAuthorization(tc.header)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if tc.err == nil && got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestAuthorizationStringRoundTrips(t *testing.T) {
	a := Authorization{Origin: `we"ird\name`, Destination: "d", Key: "ed25519:k", Sig: "S"}
	got, err := ParseAuthorization(a.String())
	if err != nil || got != a {
		t.Fatalf("got %+v, %v; want %+v", got, err, a)
	}
}

func TestSignVerifyRequest(t *testing.T) {
	key, err := signing.GenerateKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	other, _ := signing.GenerateKey("k2")
	body := []byte(`{"b": 1, "a": [true]}`)
	h, err := SignRequest(key, "origin.example", "dest.example", "PUT", "/_matrix/federation/v1/send/1?x=%2F", body)
	if err != nil {
		t.Fatal(err)
	}
	a, err := ParseAuthorization(h)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyRequest(a, key.Public, "dest.example", "PUT", "/_matrix/federation/v1/send/1?x=%2F", []byte(`{"a":[true],"b":1}`)); err != nil {
		t.Fatalf("re-encoded but equal JSON body must verify: %v", err)
	}
	for _, tc := range []struct {
		name              string
		pub               []byte
		dest, method, uri string
		body              []byte
		want              error
	}{
		{"wrong key", other.Public, "dest.example", "PUT", "/_matrix/federation/v1/send/1?x=%2F", body, ErrBadSignature},
		{"wrong destination", key.Public, "other.example", "PUT", "/_matrix/federation/v1/send/1?x=%2F", body, ErrWrongDestination},
		{"altered method", key.Public, "dest.example", "POST", "/_matrix/federation/v1/send/1?x=%2F", body, ErrBadSignature},
		{"uri decoded", key.Public, "dest.example", "PUT", "/_matrix/federation/v1/send/1?x=/", body, ErrBadSignature},
		{"altered body", key.Public, "dest.example", "PUT", "/_matrix/federation/v1/send/1?x=%2F", []byte(`{"a":[false],"b":1}`), ErrBadSignature},
		{"body dropped", key.Public, "dest.example", "PUT", "/_matrix/federation/v1/send/1?x=%2F", nil, ErrBadSignature},
		{"body not JSON", key.Public, "dest.example", "PUT", "/_matrix/federation/v1/send/1?x=%2F", []byte(`{`), ErrBadSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := VerifyRequest(a, tc.pub, tc.dest, tc.method, tc.uri, tc.body); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{
		`X-Matrix origin="origin.example",destination="dest.example",key="ed25519:key1",sig="ABCDEF"`,
		`X-Matrix origin=o.example,key=ed25519:k,sig=S`,
		`x-matrix  origin="a\"b" , key="ed25519:k",sig="S",x=y`,
		`X-Matrix origin="`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		a, err := ParseAuthorization(h)
		if err != nil {
			return
		}
		if a.Origin == "" || a.Key == "" || a.Sig == "" {
			t.Fatalf("accepted %q without a required field: %+v", h, a)
		}
		again, err := ParseAuthorization(a.String())
		if err != nil || again != a {
			t.Fatalf("String of %+v does not parse back: %+v, %v", a, again, err)
		}
	})
}
