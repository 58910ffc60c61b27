package canonical

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// TestPythonFloats checks lenient mode against how Python's json module,
// which hashed and signed the events of room versions 1 to 5 on Synapse,
// writes floats. testdata/python_floats.txt holds json.dumps of random
// doubles that are not safe integers (those the spec's example makes
// integers, where Python would write "10000000000.0").
func TestPythonFloats(t *testing.T) {
	file, err := os.Open("testdata/python_floats.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	scanner := bufio.NewScanner(file)
	n := 0
	for scanner.Scan() {
		want := scanner.Text()
		if strings.HasPrefix(want, "#") || want == "" {
			continue
		}
		n++
		got, err := Canonicalize([]byte(want))
		if err != nil || string(got) != want {
			t.Errorf("Canonicalize(%s) = %s, %v", want, got, err)
		}
		// The same double written another way gives the same output.
		if !strings.ContainsAny(want, "eE") {
			continue
		}
		mantissa, exp, _ := strings.Cut(want, "e")
		respelled := mantissa + "0E" + exp
		if !strings.Contains(mantissa, ".") {
			respelled = mantissa + ".0E" + exp
		}
		if got, err := Canonicalize([]byte(respelled)); err != nil || string(got) != want {
			t.Errorf("Canonicalize(%s) = %s, %v; want %s", respelled, got, err, want)
		}
	}
	if err := scanner.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 100 {
		t.Fatalf("only %d vectors read", n)
	}
}
