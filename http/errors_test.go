package http

import (
	"testing"
	"time"
)

// The table must give each code the status the spec lists for it.
func TestErrorTable(t *testing.T) {
	tests := []struct {
		code   Code
		status int
	}{
		{CodeForbidden, 403}, {CodeUnknownToken, 401}, {CodeMissingToken, 401},
		{CodeUserDeactivated, 403}, {CodeBadJSON, 400}, {CodeNotJSON, 400},
		{CodeNotFound, 404}, {CodeLimitExceeded, 429}, {CodeUnrecognized, 404},
		{CodeUnknown, 500}, {CodeUserInUse, 400}, {CodeInvalidUsername, 400},
		{CodeExclusive, 400}, {CodeMissingParam, 400}, {CodeInvalidParam, 400},
		{CodeTooLarge, 413}, {CodeWeakPassword, 400}, {CodeUnauthorized, 401},
		{CodeGuestAccessForbidden, 403},
		{CodeUnsupportedRoomVer, 400}, {CodeInvalidRoomState, 400}, {CodeRoomInUse, 400},
		{CodeIncompatibleRoomVer, 400},
	}
	if len(tests) != len(table) {
		t.Fatalf("table has %d codes, test lists %d", len(table), len(tests))
	}
	for _, tc := range tests {
		e := Errorf(tc.code, "")
		if e.Status != tc.status || e.Message == "" {
			t.Errorf("%s: status %d message %q, want %d", tc.code, e.Status, e.Message, tc.status)
		}
		b := e.body()
		if b["errcode"] != string(tc.code) || b["error"] != e.Message {
			t.Errorf("%s: body %v", tc.code, b)
		}
	}
}

func TestErrorBodies(t *testing.T) {
	b := UnknownToken(true, "expired").body()
	if b["soft_logout"] != true || b["errcode"] != "M_UNKNOWN_TOKEN" {
		t.Fatalf("soft logout body %v", b)
	}
	b = LimitExceeded(1500 * time.Millisecond).body()
	if b["retry_after_ms"] != int64(1500) {
		t.Fatalf("limit body %v", b)
	}
	if _, ok := Errorf(CodeForbidden, "").body()["soft_logout"]; ok {
		t.Fatal("soft_logout on M_FORBIDDEN")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("a code outside the table did not panic")
		}
	}()
	Errorf("M_NOT_IN_TABLE", "")
}
