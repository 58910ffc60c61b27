package mx

import (
	"errors"
	"fmt"
	"time"
)

var (
	// ErrStatus matches every non-200 answer (an *Error).
	ErrStatus = errors.New("mx: unexpected status")
	// ErrRateLimited matches an M_LIMIT_EXCEEDED answer or a 429.
	ErrRateLimited = errors.New("mx: rate limited (M_LIMIT_EXCEEDED)")
	// ErrUserInUse matches M_USER_IN_USE from registration.
	ErrUserInUse = errors.New("mx: user exists")
	// ErrTransport matches a request that got no HTTP answer at all
	// (refused connection, reset, timeout).
	ErrTransport = errors.New("mx: no answer")
	// ErrBadAnswer matches a 200 whose body is not what the spec says.
	ErrBadAnswer = errors.New("mx: malformed answer")
)

// Error is a non-200 answer: the spec's standard error response
// (client-server API, "Standard error response") plus the HTTP status.
type Error struct {
	Method, Path string
	Status       int
	ErrCode      string `json:"errcode"`
	Message      string `json:"error"`
	RetryAfterMS int64  `json:"retry_after_ms"`
	Body         string // the raw body, trimmed, for answers that are not JSON
}

func (e *Error) Error() string {
	if e.ErrCode != "" {
		return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.Path, e.Status, e.ErrCode, e.Message)
	}
	return fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, e.Body)
}

// Is makes every *Error match ErrStatus, rate limits ErrRateLimited and
// M_USER_IN_USE ErrUserInUse.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrStatus:
		return true
	case ErrRateLimited:
		return e.Status == 429 || e.ErrCode == "M_LIMIT_EXCEEDED"
	case ErrUserInUse:
		return e.ErrCode == "M_USER_IN_USE"
	}
	return false
}

// RetryAfter is how long the server asked the client to wait: retry_after_ms
// (client-server API, "Rate limiting"), or fallback when it named no time.
func (e *Error) RetryAfter(fallback time.Duration) time.Duration {
	if e.RetryAfterMS > 0 {
		return time.Duration(e.RetryAfterMS) * time.Millisecond
	}
	return fallback
}

// Code classifies err for error counts: the errcode of a Matrix error, "HTTP
// <status>" for an error answer without one, "transport" for no answer, and
// "other" for anything else. nil is "".
func Code(err error) string {
	var me *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &me) && me.ErrCode != "":
		return me.ErrCode
	case errors.As(err, &me):
		return fmt.Sprintf("HTTP %d", me.Status)
	case errors.Is(err, ErrTransport):
		return "transport"
	case errors.Is(err, ErrBadAnswer):
		return "bad answer"
	}
	return "other"
}

// Retrying calls f until it succeeds, fails otherwise than by rate limiting,
// or has been limited attempts times. Between tries it waits as long as the
// server asked (retry_after_ms, else a second).
func Retrying(attempts int, f func() error) error {
	for i := 1; ; i++ {
		err := f()
		var me *Error
		if !errors.Is(err, ErrRateLimited) || !errors.As(err, &me) || i >= attempts {
			return err
		}
		time.Sleep(me.RetryAfter(time.Second))
	}
}
