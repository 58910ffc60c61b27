package rooms_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports enforces the rule of DESIGN.md for the protocol core: every Go
// file under rooms/ imports only the standard library, golang.org/x/crypto
// and other rooms/ packages, so that it stays free of actors, storage, HTTP
// and logging.
func TestImports(t *testing.T) {
	checked := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != "." && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		file, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, imp := range file.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				return err
			}
			if !allowed(p) {
				t.Errorf("%s imports %q: rooms/ may import only the standard library, golang.org/x/crypto/... and github.com/axonhs/axon/rooms/...", path, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatal("no Go files found under rooms/")
	}
}

func allowed(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	switch {
	case !strings.Contains(first, "."):
		return true // standard library: no dot in the first element
	case path == "golang.org/x/crypto" || strings.HasPrefix(path, "golang.org/x/crypto/"):
		return true
	case path == "github.com/axonhs/axon/rooms" || strings.HasPrefix(path, "github.com/axonhs/axon/rooms/"):
		return true
	}
	return false
}

func TestAllowed(t *testing.T) {
	for path, want := range map[string]bool{
		"encoding/json":                           true,
		"crypto/ed25519":                          true,
		"golang.org/x/crypto/bcrypt":              true,
		"github.com/axonhs/axon/rooms/canonical":  true,
		"github.com/axonhs/axon/roomsx":           false,
		"github.com/axonhs/axon/persistence":      false,
		"github.com/axonhs/axon/configs":          false,
		"golang.org/x/cryptography":               false,
		"golang.org/x/exp/maps":                   false,
		"go.uber.org/zap":                         false,
		"github.com/cockroachdb/pebble/v2":        false,
		"github.com/asynkron/protoactor-go/actor": false,
	} {
		if got := allowed(path); got != want {
			t.Errorf("allowed(%q) = %v, want %v", path, got, want)
		}
	}
}
