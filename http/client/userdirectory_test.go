package client

import (
	"slices"
	"testing"
)

func TestDirectoryQuery(t *testing.T) {
	tests := []struct {
		term string
		want []string
	}{
		{"", nil},
		{"  Alice  Liddell ", []string{"alice", "liddell"}},
		{"@alice:example.org", []string{"alice"}},
		{"@alice.smith:example.org:8448", []string{"alice", "smith"}},
		{"@alice", []string{"alice"}},
		{"alice:example.org", []string{"alice", "example", "org"}},
		{"@:example.org", nil},
	}
	for _, tt := range tests {
		if got := directoryQuery(tt.term); !slices.Equal(got, tt.want) {
			t.Errorf("directoryQuery(%q) = %q, want %q", tt.term, got, tt.want)
		}
	}
}
