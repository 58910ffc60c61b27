package report

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Conclude records why the run ended in the written summary, keeps that
// reason as the returned error, and adds a failed write to it.
func TestConclude(t *testing.T) {
	errRun := errors.New("test: the run failed")
	dir := t.TempDir()
	tests := []struct {
		name         string
		cause        error
		jsonPath     string
		wantOutcome  string
		wantWriteErr bool
	}{
		{"ok", nil, filepath.Join(dir, "ok.json"), "ok", false},
		{"failed run", errRun, filepath.Join(dir, "failed.json"), "test: the run failed", false},
		{"unwritable", errRun, filepath.Join(dir, "missing", "x.json"), "test: the run failed", true},
		{"nothing asked", nil, "", "ok", false},
	}
	for _, tt := range tests {
		rec := NewRecorder()
		rec.Series("send").Observe(time.Millisecond)
		s := NewSummary("bench/test", "http://hs", map[string]string{"rate": "max"})
		err := Conclude(rec, s, tt.cause, tt.jsonPath, "")
		if tt.cause != nil && !errors.Is(err, tt.cause) {
			t.Errorf("%s: returned %v, lost the cause", tt.name, err)
		}
		// Without a write error the returned error is the cause itself.
		writeFailed := err != nil && (tt.cause == nil || err.Error() != tt.cause.Error())
		if writeFailed != tt.wantWriteErr {
			t.Errorf("%s: returned %v; want a write error: %t", tt.name, err, tt.wantWriteErr)
		}
		if s.Outcome != tt.wantOutcome || len(s.Latency) != 1 {
			t.Errorf("%s: outcome %q, %d latency series", tt.name, s.Outcome, len(s.Latency))
		}
		if tt.jsonPath == "" || tt.wantWriteErr {
			continue
		}
		data, err := os.ReadFile(tt.jsonPath)
		var back Summary
		if err != nil || json.Unmarshal(data, &back) != nil || back.Outcome != tt.wantOutcome || back.Params["rate"] != "max" {
			t.Errorf("%s: written summary %s, %v", tt.name, data, err)
		}
	}
}
