package main

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestHashPasswordCommand(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		stdin    string
		password string // what the hash must verify against
		cost     int
	}{
		{"flag", []string{"-password", "correct horse", "-cost", "4"}, "", "correct horse", 4},
		{"stdin line", []string{"-cost", "5"}, "battery staple\n", "battery staple", 5},
		{"stdin without newline", []string{"-cost", "4"}, "no newline", "no newline", 4},
		{"stdin CRLF", []string{"-cost", "4"}, "windows\r\n", "windows", 4},
		// The NFKC form, as the login handler compares it: the ligature
		// "ﬁ" (U+FB01) becomes "fi".
		{"non-ASCII", []string{"-password", "ﬁsh", "-cost", "4"}, "", "fish", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := runCapture(t, tt.stdin, append([]string{"hash-password"}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			hash := strings.TrimSpace(out)
			if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(tt.password)); err != nil {
				t.Errorf("hash %q does not verify %q: %v", hash, tt.password, err)
			}
			if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(tt.password+"x")); err == nil {
				t.Errorf("hash %q verifies a wrong password", hash)
			}
			if c, _ := bcrypt.Cost([]byte(hash)); c != tt.cost {
				t.Errorf("cost %d, want %d", c, tt.cost)
			}
		})
	}
}

func TestHashPasswordCostFromConfig(t *testing.T) {
	dir := t.TempDir()
	path := writeTestConfig(t, dir, "bcrypt_rounds: 5\n")
	code, out, stderr := runCapture(t, "", "hash-password", "-password", "pw", "-config", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if c, _ := bcrypt.Cost([]byte(strings.TrimSpace(out))); c != 5 {
		t.Errorf("cost %d, want bcrypt_rounds 5", c)
	}
}

func TestHashPasswordRefuses(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		stdin string
		want  string
	}{
		{"empty stdin", nil, "", "password cannot be blank"},
		{"blank line", nil, "\n", "password cannot be blank"},
		{"over 72 bytes", []string{"-password", strings.Repeat("a", 73)}, "", "longer than bcrypt's 72 bytes"},
		{"cost too low", []string{"-password", "x", "-cost", "3"}, "", "-cost 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := runCapture(t, tt.stdin, append([]string{"hash-password"}, tt.args...)...)
			if code != 1 || out != "" || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 1 and %q", code, out, stderr, tt.want)
			}
		})
	}
}

func TestHashPasswordExactly72Bytes(t *testing.T) {
	pw := strings.Repeat("é", 36) // 72 bytes in UTF-8
	h, err := hashPassword(pw, 4)
	if err != nil {
		t.Fatal(err)
	}
	if err := bcrypt.CompareHashAndPassword([]byte(h), []byte(pw)); err != nil {
		t.Error(err)
	}
	if _, err := hashPassword(pw+"a", 4); !errors.Is(err, errPasswordTooLong) {
		t.Errorf("73 bytes: %v", err)
	}
}

// The hash is of the password's NFKC form, as the login handler compares:
// a decomposed "é" hashes to what the composed one matches.
func TestHashPasswordNormalises(t *testing.T) {
	h, err := hashPassword("cafe\u0301", 4)
	if err != nil {
		t.Fatal(err)
	}
	if err := bcrypt.CompareHashAndPassword([]byte(h), []byte("caf\u00e9")); err != nil {
		t.Errorf("the composed form does not match the hash of the decomposed one: %v", err)
	}
}
