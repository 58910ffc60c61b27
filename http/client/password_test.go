package client

import (
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

const (
	composedE   = "caf\u00e9-pass"  // "é" as U+00E9
	decomposedE = "cafe\u0301-pass" // "e" + U+0301 COMBINING ACUTE ACCENT
)

func TestPasswordNormalisedOnHashAndCheck(t *testing.T) {
	tests := []struct {
		name     string
		set, try string
		want     bool
	}{
		{"decomposed set, composed typed", decomposedE, composedE, true},
		{"composed set, decomposed typed", composedE, decomposedE, true},
		{"same bytes", decomposedE, decomposedE, true},
		{"fullwidth folds to ASCII", "\uff50\uff41\uff53\uff53", "pass", true},
		{"ligature folds", "\ufb01sh", "fish", true},
		{"different password", composedE, "cafe-pass", false},
		{"empty typed", composedE, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := hashPassword(tt.set, bcrypt.MinCost)
			if err != nil {
				t.Fatal(err)
			}
			if got := passwordMatches(h, tt.try); got != tt.want {
				t.Fatalf("passwordMatches(hash(%q), %q) = %v, want %v", tt.set, tt.try, got, tt.want)
			}
		})
	}
}

// A hash made before Axon normalised holds the raw bytes; typing those same
// bytes must still log in.
func TestPasswordRawHashStillMatches(t *testing.T) {
	tests := []struct {
		name     string
		raw, try string
		want     bool
	}{
		{"decomposed raw hash, same typed", decomposedE, decomposedE, true},
		{"fullwidth raw hash, same typed", "\uff50\uff41\uff53\uff53", "\uff50\uff41\uff53\uff53", true},
		{"decomposed raw hash, composed typed", decomposedE, composedE, false},
		{"ascii raw hash", "hunter2", "hunter2", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := bcrypt.GenerateFromPassword([]byte(tt.raw), bcrypt.MinCost)
			if err != nil {
				t.Fatal(err)
			}
			if got := passwordMatches(string(h), tt.try); got != tt.want {
				t.Fatalf("passwordMatches(raw(%q), %q) = %v, want %v", tt.raw, tt.try, got, tt.want)
			}
		})
	}
}

func TestPasswordLengthLimitOnNormalisedForm(t *testing.T) {
	tests := []struct {
		name    string
		pw      string
		wantErr bool
	}{
		{"72 ascii bytes", strings.Repeat("a", 72), false},
		{"73 ascii bytes", strings.Repeat("a", 73), true},
		// U+FDFA is 3 bytes and expands under NFKC to 18 Arabic letters
		// (33 bytes): 3 of them are 9 bytes typed but 99 bytes hashed.
		{"short typed, long once normalised", strings.Repeat("\ufdfa", 3), true},
		// 30 decomposed "é" are 90 bytes typed, 60 once composed.
		{"long typed, short once normalised", strings.Repeat("e\u0301", 30), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := checkNewPassword(tt.pw); (err != nil) != tt.wantErr {
				t.Fatalf("checkNewPassword: err = %v, wantErr %v", err, tt.wantErr)
			}
		})
	}
}

func TestPasswordEmptyHashNeverMatches(t *testing.T) {
	if passwordMatches("", "") || passwordMatches("", composedE) {
		t.Fatal("an account without a password hash matched")
	}
}
