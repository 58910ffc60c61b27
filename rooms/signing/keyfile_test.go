package signing

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestKeyFileRoundTrip(t *testing.T) {
	a, err := GenerateKey("a_AbCd")
	if err != nil {
		t.Fatal(err)
	}
	b := specKey(t)
	var buf bytes.Buffer
	if err := WriteKeyFile(&buf, a, b); err != nil {
		t.Fatal(err)
	}
	want := "ed25519 a_AbCd " + EncodeBase64(a.Seed()) + "\ned25519 1 " + EncodeBase64(b.Seed()) + "\n"
	if buf.String() != want {
		t.Errorf("WriteKeyFile wrote %q, want %q", buf.String(), want)
	}
	keys, err := ReadKeyFile(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0].ID != "ed25519:a_AbCd" || keys[1].ID != specKeyID ||
		!bytes.Equal(keys[0].Private, a.Private) || !bytes.Equal(keys[1].Public, b.Public) {
		t.Errorf("ReadKeyFile = %+v", keys)
	}
}

// A signing.key as Synapse writes it, with the spec's test seed.
func TestReadSynapseKeyFile(t *testing.T) {
	keys, err := ReadKeyFile(strings.NewReader("ed25519 1 " + specSeed + "\n\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0].ID != specKeyID || !bytes.Equal(keys[0].Public, specKey(t).Public) {
		t.Errorf("ReadKeyFile = %+v", keys)
	}
}

func TestReadKeyFileRejects(t *testing.T) {
	tests := []struct {
		name, file string
		want       error
	}{
		{"two fields", "ed25519 1\n", ErrKeyFile},
		{"four fields", "ed25519 1 " + specSeed + " x\n", ErrKeyFile},
		{"bad version", "ed25519 a-b " + specSeed + "\n", ErrKeyID},
		{"unknown algorithm", "curve25519 1 " + specSeed + "\n", ErrAlgorithm},
		{"bad base64", "ed25519 1 !!!!\n", ErrBase64},
		{"short seed", "ed25519 1 Zm9v\n", ErrSeed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadKeyFile(strings.NewReader(tc.file))
			if !errors.Is(err, ErrKeyFile) || !errors.Is(err, tc.want) {
				t.Errorf("ReadKeyFile error = %v, want %v and ErrKeyFile", err, tc.want)
			}
		})
	}
}

func TestWriteKeyFileNeedsPrivateKey(t *testing.T) {
	k := specKey(t)
	k.Private = nil
	if err := WriteKeyFile(&bytes.Buffer{}, k); !errors.Is(err, ErrSeed) {
		t.Errorf("WriteKeyFile = %v, want ErrSeed", err)
	}
}

func TestGenerateKey(t *testing.T) {
	a, err := GenerateKey("v1")
	if err != nil {
		t.Fatal(err)
	}
	b, err := GenerateKey("v1")
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != "ed25519:v1" || bytes.Equal(a.Seed(), b.Seed()) {
		t.Errorf("GenerateKey: id %s, equal seeds %v", a.ID, bytes.Equal(a.Seed(), b.Seed()))
	}
	if _, err := GenerateKey("bad:version"); !errors.Is(err, ErrKeyID) {
		t.Errorf("GenerateKey(bad:version) = %v, want ErrKeyID", err)
	}
}
