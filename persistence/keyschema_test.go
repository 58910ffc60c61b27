package persistence

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Every key family's prefix byte is a constant named prefix…, no two
// families share a byte (a shared byte would let one family's scans run
// over the other's rows), and each byte appears in keys.go's schema
// comment, the one place the key schema is documented.
func TestKeyFamiliesHaveDistinctDocumentedPrefixes(t *testing.T) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	owner := map[rune]string{}
	for _, pkg := range pkgs {
		for _, f := range pkg.Files {
			for _, decl := range f.Decls {
				gd, ok := decl.(*ast.GenDecl)
				if !ok || gd.Tok != token.CONST {
					continue
				}
				for _, spec := range gd.Specs {
					vs := spec.(*ast.ValueSpec)
					for i, name := range vs.Names {
						if !strings.HasPrefix(name.Name, "prefix") || i >= len(vs.Values) {
							continue
						}
						lit, ok := vs.Values[i].(*ast.BasicLit)
						if !ok || lit.Kind != token.CHAR {
							continue
						}
						s, err := strconv.Unquote(lit.Value)
						if err != nil || len(s) != 1 {
							t.Fatalf("%s: %s = %s", fset.Position(name.Pos()), name.Name, lit.Value)
						}
						b := rune(s[0])
						if other, dup := owner[b]; dup {
							t.Errorf("%s and %s share the prefix %q", other, name.Name, b)
						}
						owner[b] = name.Name
					}
				}
			}
		}
	}
	if len(owner) < 20 {
		t.Fatalf("found only %d key families; the parse missed the prefix constants", len(owner))
	}
	schema, err := os.ReadFile("keys.go")
	if err != nil {
		t.Fatal(err)
	}
	for b, name := range owner {
		if !strings.Contains(string(schema), "prefix '"+string(b)+"'") {
			t.Errorf("%s (%q) is not in keys.go's schema comment", name, b)
		}
	}
}
