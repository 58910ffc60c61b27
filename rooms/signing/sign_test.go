package signing

import (
	"crypto/ed25519"
	"errors"
	"testing"

	"github.com/axonhs/axon/rooms/canonical"
)

func TestSignJSONKeepsOtherSignaturesAndUnsigned(t *testing.T) {
	key := specKey(t)
	in := `{"b":1,"a":"x","unsigned":{"age":5},"signatures":{"other.org":{"ed25519:z":"c2ln"},"domain":{"ed25519:old":"b2xk","ed25519:1":"cmVwbGFjZWQ"}}}`
	out, err := SignJSON([]byte(in), specServerName, key)
	if err != nil {
		t.Fatal(err)
	}
	sig := ed25519.Sign(key.Private, []byte(`{"a":"x","b":1}`))
	want := `{"a":"x","b":1,"signatures":{"domain":{"ed25519:1":"` + EncodeBase64(sig) +
		`","ed25519:old":"b2xk"},"other.org":{"ed25519:z":"c2ln"}},"unsigned":{"age":5}}`
	if string(out) != want {
		t.Errorf("SignJSON =\n%s\nwant\n%s", out, want)
	}
}

func TestSignJSONTwoServers(t *testing.T) {
	a := specKey(t)
	b, err := GenerateKey("b")
	if err != nil {
		t.Fatal(err)
	}
	obj := []byte(`{"content":{"k":"v"},"unsigned":{"x":1}}`)
	once, err := SignJSON(obj, "a.org", a)
	if err != nil {
		t.Fatal(err)
	}
	twice, err := SignJSON(once, "b.org", b)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyJSON(twice, "a.org", a.ID, a.Public); err != nil {
		t.Errorf("first signature lost: %v", err)
	}
	if err := VerifyJSON(twice, "b.org", b.ID, b.Public); err != nil {
		t.Errorf("second signature: %v", err)
	}
	sigs, err := Signatures(twice)
	if err != nil || len(sigs) != 2 || len(sigs["a.org"]) != 1 || len(sigs["b.org"]) != 1 {
		t.Errorf("Signatures = %v, %v", sigs, err)
	}
}

func TestSignJSONRejects(t *testing.T) {
	key := specKey(t)
	tests := []struct {
		name string
		in   string
		key  KeyPair
		want error
	}{
		{"array", `[1]`, key, ErrNotObject},
		{"bad JSON", `{"a":}`, key, canonical.ErrSyntax},
		{"signatures not an object", `{"signatures":[]}`, key, ErrNotObject},
		{"server entry not an object", `{"signatures":{"domain":"x"}}`, key, ErrNotObject},
		{"no private key", `{}`, KeyPair{ID: key.ID, Public: key.Public}, ErrSeed},
		{"bad key ID", `{}`, KeyPair{ID: "nocolon", Private: key.Private}, ErrKeyID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := SignJSON([]byte(tc.in), specServerName, tc.key); !errors.Is(err, tc.want) {
				t.Errorf("SignJSON error = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestVerifyJSON(t *testing.T) {
	key := specKey(t)
	other, err := GenerateKey("2")
	if err != nil {
		t.Fatal(err)
	}
	signed, err := SignJSON([]byte(`{"one":1,"two":"Two","unsigned":{"age":1}}`), specServerName, key)
	if err != nil {
		t.Fatal(err)
	}
	sig := func(s string) string {
		return `{"one":1,"two":"Two","signatures":{"domain":{"ed25519:1":` + s + `}}}`
	}
	good, _ := Signatures(signed)
	goodSig := good[specServerName][specKeyID]

	tests := []struct {
		name   string
		object string
		server string
		id     KeyID
		public ed25519.PublicKey
		want   error
	}{
		{"valid", string(signed), specServerName, specKeyID, key.Public, nil},
		{"unsigned may change", `{"one":1,"two":"Two","unsigned":{"age":999},"signatures":{"domain":{"ed25519:1":"` + goodSig + `"}}}`, specServerName, specKeyID, key.Public, nil},
		{"whitespace and order do not matter", "{ \"two\" : \"Two\",\n\"signatures\":{\"domain\":{\"ed25519:1\":\"" + goodSig + "\"}}, \"one\":1 }", specServerName, specKeyID, key.Public, nil},
		{"padded signature accepted", sig(`"` + goodSig + `=="`), specServerName, specKeyID, key.Public, nil},
		{"content changed", `{"one":2,"two":"Two","signatures":{"domain":{"ed25519:1":"` + goodSig + `"}}}`, specServerName, specKeyID, key.Public, ErrBadSignature},
		{"wrong public key", string(signed), specServerName, specKeyID, other.Public, ErrBadSignature},
		{"no signatures", `{"one":1}`, specServerName, specKeyID, key.Public, ErrNoSignature},
		{"other server only", string(signed), "elsewhere", specKeyID, key.Public, ErrNoSignature},
		{"other key only", string(signed), specServerName, "ed25519:2", key.Public, ErrNoSignature},
		{"signature not a string", sig(`1`), specServerName, specKeyID, key.Public, ErrMalformedSignature},
		{"signature not base64", sig(`"!!"`), specServerName, specKeyID, key.Public, ErrMalformedSignature},
		{"signature too short", sig(`"c2ln"`), specServerName, specKeyID, key.Public, ErrMalformedSignature},
		{"signatures not an object", `{"signatures":"x"}`, specServerName, specKeyID, key.Public, ErrNotObject},
		{"not an object", `[]`, specServerName, specKeyID, key.Public, ErrNotObject},
		{"bad public key", string(signed), specServerName, specKeyID, key.Public[:31], ErrPublicKey},
		{"bad JSON", `{`, specServerName, specKeyID, key.Public, canonical.ErrSyntax},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifyJSON([]byte(tc.object), tc.server, tc.id, tc.public)
			if tc.want == nil {
				if err != nil {
					t.Errorf("VerifyJSON = %v", err)
				}
			} else if !errors.Is(err, tc.want) {
				t.Errorf("VerifyJSON = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestSigningBytes(t *testing.T) {
	got, err := SigningBytes([]byte(`{"z":1,"unsigned":{"a":1},"signatures":{},"hashes":{"sha256":"x"},"a":[]}`))
	if err != nil || string(got) != `{"a":[],"hashes":{"sha256":"x"},"z":1}` {
		t.Errorf("SigningBytes = %s, %v", got, err)
	}
}

func TestContentHash(t *testing.T) {
	base := []byte(`{"type":"X","content":{"b":1}}`)
	h, err := ContentHash(base)
	if err != nil {
		t.Fatal(err)
	}
	same := []byte(`{"content":{"b":1},"hashes":{"sha256":"x"},"signatures":{"a":{}},"type":"X","unsigned":{"age":1}}`)
	if h2, err := ContentHash(same); err != nil || h2 != h {
		t.Errorf("hash changed by unsigned/signatures/hashes: %v", err)
	}
	if h3, _ := ContentHash([]byte(`{"type":"X","content":{"b":2}}`)); h3 == h {
		t.Error("hash ignores content")
	}
	if _, err := ContentHash([]byte(`"x"`)); !errors.Is(err, ErrNotObject) {
		t.Errorf("ContentHash(string) = %v, want ErrNotObject", err)
	}
}

func TestCheckContentHash(t *testing.T) {
	hashed, err := AddContentHash([]byte(`{"type":"X","content":{"b":1},"hashes":{"old":"x"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckContentHash(hashed); err != nil {
		t.Errorf("CheckContentHash(AddContentHash) = %v", err)
	}
	tests := []struct {
		name, event string
		want        error
	}{
		{"no hashes", `{"type":"X"}`, ErrNoContentHash},
		{"no sha256", `{"type":"X","hashes":{"sha512":"x"}}`, ErrNoContentHash},
		{"sha256 not a string", `{"type":"X","hashes":{"sha256":1}}`, ErrNoContentHash},
		{"hashes not an object", `{"type":"X","hashes":[]}`, ErrNoContentHash},
		{"wrong hash", `{"type":"X","hashes":{"sha256":"5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos"}}`, ErrContentHashMismatch},
		{"hash not base64", `{"type":"X","hashes":{"sha256":"!"}}`, ErrContentHashMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := CheckContentHash([]byte(tc.event)); !errors.Is(err, tc.want) {
				t.Errorf("CheckContentHash = %v, want %v", err, tc.want)
			}
		})
	}
}
