package auth

import (
	"errors"
	"fmt"

	"github.com/axonhs/axon/rooms/version"
)

// ErrRejected is what every *Error unwraps to, so callers can test for an
// authorisation refusal with errors.Is without caring which rule fired.
var ErrRejected = errors.New("auth: event rejected")

// Error says which rule refused an event. Rule names the room version, the
// rule's number in that version's list and a short path, e.g.
// "v10 §4.3.3 member/join"; Reason says what was wrong.
type Error struct {
	Rule   string
	Reason string
}

func (e *Error) Error() string { return fmt.Sprintf("auth: %s: %s", e.Rule, e.Reason) }

// Unwrap lets errors.Is(err, ErrRejected) succeed.
func (e *Error) Unwrap() error { return ErrRejected }

// reject builds an *Error for the rule numbered num (e.g. "4.3.3") of room
// version v.
func reject(v version.Spec, num, path, reason string) *Error {
	return &Error{Rule: fmt.Sprintf("v%s §%s %s", v.ID, num, path), Reason: reason}
}

// rejectf is reject with a formatted reason.
func rejectf(v version.Spec, num, path, format string, args ...any) *Error {
	return reject(v, num, path, fmt.Sprintf(format, args...))
}
