package configs

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDecodeSetsValues(t *testing.T) {
	doc := `
server_name: example.org
listeners:
  client: "0.0.0.0:8008"
enable_registration: true
refresh_token_lifetime: 1h
max_upload_size: 10M
rate_limits:
  per_second: 2.5
log:
  format: json
`
	cfg := Default()
	set, err := Decode(strings.NewReader(doc), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ServerName != "example.org" || cfg.Listeners.Client != "0.0.0.0:8008" ||
		!cfg.EnableRegistration || cfg.RefreshTokenLifetime.Std() != time.Hour ||
		cfg.MaxUploadSize != 10<<20 || cfg.RateLimits.PerSecond != 2.5 || cfg.Log.Format != "json" {
		t.Errorf("decoded %+v", cfg)
	}
	// Keys the file left out keep their defaults.
	def := Default()
	if cfg.Listeners.Federation != def.Listeners.Federation || cfg.RateLimits.Burst != def.RateLimits.Burst ||
		cfg.Log.Level != def.Log.Level || cfg.BcryptRounds != def.BcryptRounds {
		t.Errorf("defaults lost: %+v", cfg)
	}
	want := []string{"server_name", "listeners.client", "enable_registration", "refresh_token_lifetime",
		"max_upload_size", "rate_limits.per_second", "log.format"}
	if strings.Join(set, ",") != strings.Join(want, ",") {
		t.Errorf("set = %v, want %v", set, want)
	}
}

func TestDecodeErrorsNameKeyAndLine(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		err  error
		want []string // substrings of the message
	}{
		{"unknown top-level key", "server_name: a\nsevrer_name: b\n", ErrUnknownKey, []string{"sevrer_name", "line 2"}},
		{"unknown nested key", "listeners:\n  client: \"127.0.0.1:1\"\n  clinet: x\n", ErrUnknownKey, []string{"listeners.clinet", "line 3"}},
		{"duplicate key", "server_name: a\nserver_name: b\n", ErrDuplicateKey, []string{"server_name", "line 2", "first at line 1"}},
		{"bool gets a word", "enable_registration: maybe\n", ErrWrongType, []string{"enable_registration", "line 1"}},
		{"int gets text", "bcrypt_rounds: twelve\n", ErrWrongType, []string{"bcrypt_rounds"}},
		{"float gets a list", "rate_limits:\n  per_second: [1, 2]\n", ErrWrongType, []string{"rate_limits.per_second", "line 2"}},
		{"section gets a scalar", "listeners: 8008\n", ErrWrongType, []string{"listeners", "mapping"}},
		{"string gets a mapping", "server_name:\n  a: b\n", ErrWrongType, []string{"server_name"}},
		{"bad duration", "access_token_lifetime: soon\n", ErrInvalid, []string{"access_token_lifetime", "line 1"}},
		{"bad size", "max_upload_size: lots\n", ErrInvalid, []string{"max_upload_size"}},
		{"top level is a list", "- a\n- b\n", ErrWrongType, []string{"top level"}},
		{"two documents", "server_name: a\n---\nserver_name: b\n", ErrWrongType, []string{"more than one"}},
		{"not YAML", "server_name: [unclosed\n", ErrWrongType, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(strings.NewReader(tt.doc), Default())
			if !errors.Is(err, tt.err) {
				t.Fatalf("error = %v, want %v", err, tt.err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestDecodeReportsEveryError(t *testing.T) {
	_, err := Decode(strings.NewReader("foo: 1\nbar: 2\nbcrypt_rounds: x\n"), Default())
	for _, w := range []string{"foo", "bar", "bcrypt_rounds"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v does not mention %q", err, w)
		}
	}
}

func TestDecodeEmptyAndNull(t *testing.T) {
	for _, doc := range []string{"", "# only a comment\n", "~\n", "listeners:\n", "server_name:\n"} {
		cfg := Default()
		if _, err := Decode(strings.NewReader(doc), cfg); err != nil {
			t.Errorf("Decode(%q): %v", doc, err)
		}
		if cfg.ServerName != DefaultServerName || cfg.Listeners.Client != DefaultClientListen {
			t.Errorf("Decode(%q) changed defaults: %+v", doc, cfg)
		}
	}
}

func TestDecodeAliases(t *testing.T) {
	doc := "server_name: &n example.org\nlog:\n  level: &l debug\n  format: console\nlisteners:\n  client: \"127.0.0.1:1\"\n"
	cfg := Default()
	if _, err := Decode(strings.NewReader(doc), cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.ServerName != "example.org" || cfg.Log.Level != "debug" {
		t.Errorf("decoded %+v", cfg)
	}
}

// FuzzDecode: no input panics, and a document that decodes cleanly decodes
// the same way again.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		"server_name: example.org\n",
		"listeners:\n  client: \"127.0.0.1:8008\"\n",
		"a: &x {b: *x}\n",
		"max_upload_size: 50M\nrefresh_token_lifetime: 7d\n",
		"rate_limits: {enabled: true, per_second: 1e3}\n",
		"- 1\n",
		"server_name: a\nserver_name: b\n",
		templateText,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		a := Default()
		if _, err := Decode(strings.NewReader(doc), a); err != nil {
			return
		}
		b := Default()
		if _, err := Decode(strings.NewReader(doc), b); err != nil {
			t.Fatalf("second decode failed: %v", err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("decodes differ: %+v vs %+v", a, b)
		}
	})
}
