package persistence

// Account is one local user's account state, keyed by localpart.
type Account struct {
	// PasswordHash is a bcrypt hash; empty when the account has no password
	// (guests, accounts registered without one).
	PasswordHash string `json:"password_hash,omitempty"`
	CreatedMS    int64  `json:"created_ms"`
	Deactivated  bool   `json:"deactivated,omitempty"`
	Admin        bool   `json:"admin,omitempty"`
	Guest        bool   `json:"guest,omitempty"`
	UserType     string `json:"user_type,omitempty"`
}

// Device is one device (session) of a user.
type Device struct {
	ID          string `json:"-"`
	DisplayName string `json:"display_name,omitempty"`
	CreatedMS   int64  `json:"created_ms"`
	LastSeenMS  int64  `json:"last_seen_ms,omitempty"`
	LastSeenIP  string `json:"last_seen_ip,omitempty"`
}

// AccessToken is what an access token's hash resolves to.
type AccessToken struct {
	Localpart string `json:"localpart"`
	DeviceID  string `json:"device_id"`
	// ExpiresMS is 0 for a token that does not expire.
	ExpiresMS int64 `json:"expires_ms,omitempty"`
	// Refresh links the token to the refresh token issued with it, if any.
	Refresh *TokenHash `json:"refresh,omitempty"`
	// PrevRefresh is the refresh token this token was refreshed from; it
	// stays valid until this token is first used (spec: "Refreshing access
	// tokens").
	PrevRefresh *TokenHash `json:"prev_refresh,omitempty"`
	// Guest marks a guest account's token (spec: "Guest access" limits the
	// endpoints it may call).
	Guest bool `json:"guest,omitempty"`
}

// RefreshToken is what a refresh token's hash resolves to.
type RefreshToken struct {
	Localpart string `json:"localpart"`
	DeviceID  string `json:"device_id"`
	// ExpiresMS is 0 for a refresh token that does not expire.
	ExpiresMS int64 `json:"expires_ms,omitempty"`
	// Access is the access token issued together with this refresh token.
	Access TokenHash `json:"access"`
	// PrevRefresh is the refresh token this one replaced, revoked when this
	// one or its access token is first used.
	PrevRefresh *TokenHash `json:"prev_refresh,omitempty"`
	// Next is the refresh token issued in exchange for this one, while this
	// one is still valid; using this one again replaces that pair.
	Next *TokenHash `json:"next,omitempty"`
}

// RegistrationToken gates registration when registration_requires_token is
// set (spec: client-server-api "Token-authenticated registration").
type RegistrationToken struct {
	// UsesAllowed is nil for unlimited uses.
	UsesAllowed *int  `json:"uses_allowed,omitempty"`
	Pending     int   `json:"pending"`
	Completed   int   `json:"completed"`
	ExpiresMS   int64 `json:"expiry_time,omitempty"` // 0: never
}

// Valid reports whether the token may start another registration at nowMS.
func (t RegistrationToken) Valid(nowMS int64) bool {
	if t.ExpiresMS != 0 && nowMS >= t.ExpiresMS {
		return false
	}
	return t.UsesAllowed == nil || t.Pending+t.Completed < *t.UsesAllowed
}
