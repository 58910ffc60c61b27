package http

import (
	"fmt"
	"net/http"
	"time"
)

// Code is a Matrix errcode.
type Code string

// The Matrix error codes Axon returns (spec: client-server-api "Standard
// error response" and "Common error codes").
const (
	CodeForbidden            Code = "M_FORBIDDEN"
	CodeUnknownToken         Code = "M_UNKNOWN_TOKEN"
	CodeMissingToken         Code = "M_MISSING_TOKEN"
	CodeUserDeactivated      Code = "M_USER_DEACTIVATED"
	CodeBadJSON              Code = "M_BAD_JSON"
	CodeNotJSON              Code = "M_NOT_JSON"
	CodeNotFound             Code = "M_NOT_FOUND"
	CodeLimitExceeded        Code = "M_LIMIT_EXCEEDED"
	CodeUnrecognized         Code = "M_UNRECOGNIZED"
	CodeUnknown              Code = "M_UNKNOWN"
	CodeUnauthorized         Code = "M_UNAUTHORIZED"
	CodeUserInUse            Code = "M_USER_IN_USE"
	CodeInvalidUsername      Code = "M_INVALID_USERNAME"
	CodeExclusive            Code = "M_EXCLUSIVE"
	CodeMissingParam         Code = "M_MISSING_PARAM"
	CodeInvalidParam         Code = "M_INVALID_PARAM"
	CodeTooLarge             Code = "M_TOO_LARGE"
	CodeWeakPassword         Code = "M_WEAK_PASSWORD"
	CodeGuestAccessForbidden Code = "M_GUEST_ACCESS_FORBIDDEN"
	CodeUnsupportedRoomVer   Code = "M_UNSUPPORTED_ROOM_VERSION"
	CodeInvalidRoomState     Code = "M_INVALID_ROOM_STATE"
	CodeRoomInUse            Code = "M_ROOM_IN_USE"
	// CodeIncompatibleRoomVer is the federation join/knock/invite refusal
	// of a room version the other server does not support
	// (server-server-api "Joining Rooms").
	CodeIncompatibleRoomVer Code = "M_INCOMPATIBLE_ROOM_VERSION"
)

type tableEntry struct {
	status int
	text   string
}

// table is the one place a Matrix errcode meets its HTTP status and default
// text.
var table = map[Code]tableEntry{
	CodeForbidden:            {http.StatusForbidden, "Forbidden"},
	CodeUnknownToken:         {http.StatusUnauthorized, "Unrecognised access token"},
	CodeMissingToken:         {http.StatusUnauthorized, "Missing access token"},
	CodeUserDeactivated:      {http.StatusForbidden, "This account has been deactivated"},
	CodeBadJSON:              {http.StatusBadRequest, "Malformed request body"},
	CodeNotJSON:              {http.StatusBadRequest, "Content not JSON"},
	CodeNotFound:             {http.StatusNotFound, "Not found"},
	CodeLimitExceeded:        {http.StatusTooManyRequests, "Too many requests"},
	CodeUnrecognized:         {http.StatusNotFound, "Unrecognized request"},
	CodeUnknown:              {http.StatusInternalServerError, "Internal server error"},
	CodeUnauthorized:         {http.StatusUnauthorized, "Not authorized"},
	CodeUserInUse:            {http.StatusBadRequest, "User ID already taken"},
	CodeInvalidUsername:      {http.StatusBadRequest, "Invalid user ID"},
	CodeExclusive:            {http.StatusBadRequest, "User ID reserved by an application service"},
	CodeMissingParam:         {http.StatusBadRequest, "Missing parameter"},
	CodeInvalidParam:         {http.StatusBadRequest, "Invalid parameter"},
	CodeTooLarge:             {http.StatusRequestEntityTooLarge, "Request too large"},
	CodeWeakPassword:         {http.StatusBadRequest, "Password too weak"},
	CodeGuestAccessForbidden: {http.StatusForbidden, "Guest access not allowed"},
	CodeUnsupportedRoomVer:   {http.StatusBadRequest, "Room version not supported"},
	CodeInvalidRoomState:     {http.StatusBadRequest, "Initial state of the room is invalid"},
	CodeRoomInUse:            {http.StatusBadRequest, "Room alias already taken"},
	CodeIncompatibleRoomVer:  {http.StatusBadRequest, "Room version not supported by the server"},
}

// Error is a Matrix error on its way to the client.
type Error struct {
	Code    Code
	Status  int
	Message string
	// SoftLogout is sent with M_UNKNOWN_TOKEN (spec: "Soft logout").
	SoftLogout *bool
	// RetryAfter is sent with M_LIMIT_EXCEEDED as retry_after_ms and the
	// Retry-After header.
	RetryAfter time.Duration
	// Extra fields merged into the body, such as a UIA 401's flows.
	Extra map[string]any
}

// Errorf builds an Error with the table's status; an empty format uses the
// table's default text.
func Errorf(code Code, format string, args ...any) *Error {
	e, ok := table[code]
	if !ok {
		panic(fmt.Sprintf("http: errcode %s is not in the error table", code))
	}
	msg := e.text
	if format != "" {
		msg = fmt.Sprintf(format, args...)
	}
	return &Error{Code: code, Status: e.status, Message: msg}
}

// WithStatus overrides the table's status where the spec asks for another
// (M_UNKNOWN as 400, M_UNRECOGNIZED as 405).
func (e *Error) WithStatus(status int) *Error { e.Status = status; return e }

func (e *Error) Error() string { return fmt.Sprintf("%s (%d): %s", e.Code, e.Status, e.Message) }

// UnknownToken is M_UNKNOWN_TOKEN with soft_logout set as given.
func UnknownToken(softLogout bool, msg string) *Error {
	e := Errorf(CodeUnknownToken, "%s", msg)
	e.SoftLogout = &softLogout
	return e
}

// LimitExceeded is M_LIMIT_EXCEEDED telling the client when to retry.
func LimitExceeded(retry time.Duration) *Error {
	e := Errorf(CodeLimitExceeded, "")
	e.RetryAfter = retry
	return e
}

// body is the JSON the client receives.
func (e *Error) body() map[string]any {
	b := make(map[string]any, 4+len(e.Extra))
	for k, v := range e.Extra {
		b[k] = v
	}
	if e.Code != "" {
		b["errcode"] = string(e.Code)
		b["error"] = e.Message
	}
	if e.SoftLogout != nil {
		b["soft_logout"] = *e.SoftLogout
	}
	if e.Code == CodeLimitExceeded && e.RetryAfter > 0 {
		b["retry_after_ms"] = e.RetryAfter.Milliseconds()
	}
	return b
}
