package configs

import (
	"bytes"
	"flag"
	"os"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite homeserver.sample.yaml from the template")

const samplePath = "homeserver.sample.yaml"

// The sample is the template rendered with SampleParams; -update rewrites it.
func TestSampleIsRenderedTemplate(t *testing.T) {
	var buf bytes.Buffer
	if err := Render(&buf, SampleParams); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(samplePath, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(samplePath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, buf.Bytes()) {
		t.Errorf("%s differs from the rendered template; run go test ./configs -run Sample -update", samplePath)
	}
}

// The sample loads, and says nothing but the defaults and SampleParams: the
// values written in the template cannot drift from Default().
func TestSampleLoadsToDefaults(t *testing.T) {
	cfg, err := Sources{File: samplePath}.Load()
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.ServerName = SampleParams.ServerName
	want.DataDir = "." // relative to the file, which is in this directory
	want.Derive()
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("sample loads as\n%+v\nwant\n%+v", cfg, want)
	}
}

// Every option appears in the sample and in README.md's table, and every
// environment variable and flag in README.md.
func TestDocsListEveryOption(t *testing.T) {
	sample, err := os.ReadFile(samplePath)
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range Keys() {
		leaf := key[strings.LastIndex(key, ".")+1:]
		if !bytes.Contains(sample, []byte(leaf+":")) {
			t.Errorf("%s does not set %s", samplePath, key)
		}
		if !bytes.Contains(readme, []byte("| `"+key+"` |")) {
			t.Errorf("README.md has no table row for `%s`", key)
		}
	}
	for _, o := range Overrides {
		row := "| `" + o.Key + "` |"
		i := bytes.Index(readme, []byte(row))
		if i < 0 {
			continue // reported above
		}
		end := bytes.IndexByte(readme[i:], '\n')
		line := string(readme[i : i+end])
		if !strings.Contains(line, "`"+o.Env+"`") || !strings.Contains(line, "`-"+o.Flag+"`") {
			t.Errorf("README.md row for %s does not give `%s` and `-%s`: %s", o.Key, o.Env, o.Flag, line)
		}
	}
}
