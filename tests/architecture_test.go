package tests

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/axonhs/axon"

// importRule forbids, for the packages under dir, imports with one of the
// listed prefixes (DESIGN.md, "Import rules").
type importRule struct {
	dir       string   // relative to the module root; "" is every package
	except    []string // dirs under dir the rule does not cover
	forbidden []string
	allowOurs []string // if set, imports of our module must have one of these prefixes
}

var (
	modProtoactor = "github.com/asynkron/protoactor-go"
	modPebble     = "github.com/cockroachdb/pebble"
	modFasthttp   = "github.com/valyala/fasthttp"
	modRouter     = "github.com/fasthttp/router"
	modZap        = "go.uber.org/zap"
)

var importRules = []importRule{
	// rooms/... is the pure protocol core.
	{dir: "rooms", forbidden: []string{modProtoactor, modPebble, modFasthttp, modRouter, modZap}, allowOurs: []string{module + "/rooms"}},
	{dir: "persistence", forbidden: []string{module + "/actors", module + "/http", modProtoactor, modFasthttp}},
	{dir: "http", forbidden: []string{modPebble, modProtoactor}},
	// Only actors/... imports protoactor.
	{dir: "", except: []string{"actors"}, forbidden: []string{modProtoactor}},
}

// TestImportRules parses every Go file of the module (tests included) and
// checks its imports against importRules.
func TestImportRules(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		files++
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			for _, r := range importRules {
				if msg := r.violation(rel, p); msg != "" {
					t.Errorf("%s imports %s: %s", filepath.Join(rel, filepath.Base(path)), p, msg)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 20 {
		t.Fatalf("only %d Go files found under %s: walking the wrong tree?", files, root)
	}
}

func under(rel, dir string) bool {
	return dir == "" || rel == dir || strings.HasPrefix(rel, dir+"/")
}

func (r importRule) violation(rel, imp string) string {
	if !under(rel, r.dir) {
		return ""
	}
	for _, e := range r.except {
		if under(rel, e) {
			return ""
		}
	}
	for _, f := range r.forbidden {
		if imp == f || strings.HasPrefix(imp, f+"/") {
			return "forbidden for " + describe(r.dir)
		}
	}
	if len(r.allowOurs) > 0 && (imp == module || strings.HasPrefix(imp, module+"/")) {
		for _, a := range r.allowOurs {
			if imp == a || strings.HasPrefix(imp, a+"/") {
				return ""
			}
		}
		return describe(r.dir) + " may import only " + strings.Join(r.allowOurs, ", ") + " of ours"
	}
	return ""
}

func describe(dir string) string {
	if dir == "" {
		return "everything outside actors/"
	}
	return dir + "/..."
}

// TestImportRulesCatchViolations makes sure the checker is not vacuous.
func TestImportRulesCatchViolations(t *testing.T) {
	tests := []struct {
		pkg, imp string
		bad      bool
	}{
		{"rooms/auth", module + "/persistence", true},
		{"rooms/auth", module + "/rooms/event", false},
		{"rooms/auth", modZap, true},
		{"rooms/auth", "golang.org/x/crypto/ed25519", false},
		{"persistence", module + "/actors/user", true},
		{"persistence", modPebble + "/v2/vfs", false},
		{"http/client", modPebble + "/v2", true},
		{"http/client", module + "/actors/user", false},
		{"cmd/axon/homeserver", modProtoactor + "/actor", true},
		{"actors/user", modProtoactor + "/actor", false},
		{"roomsx", modZap, false},
	}
	for _, tc := range tests {
		bad := false
		for _, r := range importRules {
			if r.violation(tc.pkg, tc.imp) != "" {
				bad = true
			}
		}
		if bad != tc.bad {
			t.Errorf("%s importing %s: violation=%v, want %v", tc.pkg, tc.imp, bad, tc.bad)
		}
	}
}
