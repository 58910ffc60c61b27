package mx

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// Login is what registration and /login answer.
type Login struct {
	UserID      string `json:"user_id"`
	AccessToken string `json:"access_token"`
	DeviceID    string `json:"device_id"`
}

type authDict struct {
	Type    string `json:"type"`
	Session string `json:"session,omitempty"`
}

type registerBody struct {
	Username     string    `json:"username"`
	Password     string    `json:"password"`
	InhibitLogin bool      `json:"inhibit_login"`
	DeviceName   string    `json:"initial_device_display_name,omitempty"`
	Auth         *authDict `json:"auth,omitempty"`
}

// Register creates user through User-Interactive Auth: the first POST
// answers 401 with a session, the second completes m.login.dummy in it
// (client-server API, "User-Interactive Authentication API", "Dummy Auth").
// With inhibitLogin false the answer carries an access token. A taken name
// is ErrUserInUse.
func (c *Client) Register(user, password string, inhibitLogin bool) (Login, error) {
	const path = "/_matrix/client/v3/register"
	body := registerBody{Username: user, Password: password, InhibitLogin: inhibitLogin, DeviceName: "axon bench"}
	var out Login
	data, err := c.DoRaw("POST", path, "", body, &out)
	var me *Error
	if err == nil || !errors.As(err, &me) || me.Status != 401 {
		return out, err // a server that needs no auth at all, or a refusal
	}
	var uia struct {
		Session string `json:"session"`
	}
	if json.Unmarshal(data, &uia) != nil || uia.Session == "" {
		return out, fmt.Errorf("%w: /register answered 401 without a UIA session: %.200s", ErrBadAnswer, data)
	}
	body.Auth = &authDict{Type: "m.login.dummy", Session: uia.Session}
	err = c.Do("POST", path, "", body, &out)
	return out, err
}

// RegisterShared creates user through shared-secret registration (GET then
// POST /_synapse/admin/v1/register), as Synapse's register_new_matrix_user
// does and Axon serves: the MAC is hex HMAC-SHA1 keyed with the secret over
// nonce NUL user NUL password NUL "notadmin".
func (c *Client) RegisterShared(secret, user, password string) (Login, error) {
	const path = "/_synapse/admin/v1/register"
	var nonce struct {
		Nonce string `json:"nonce"`
	}
	if err := c.Do("GET", path, "", nil, &nonce); err != nil {
		return Login{}, err
	}
	if nonce.Nonce == "" {
		return Login{}, fmt.Errorf("%w: %s answered without a nonce", ErrBadAnswer, path)
	}
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(nonce.Nonce + "\x00" + user + "\x00" + password + "\x00notadmin"))
	body := map[string]any{
		"nonce":    nonce.Nonce,
		"username": user,
		"password": password,
		"admin":    false,
		"mac":      hex.EncodeToString(m.Sum(nil)),
	}
	var out Login
	err := c.Do("POST", path, "", body, &out)
	return out, err
}

// Login does m.login.password with an m.id.user identifier, opening a new
// device (client-server API, "Login").
func (c *Client) Login(user, password string) (Login, error) {
	body := map[string]any{
		"type":                        "m.login.password",
		"identifier":                  map[string]string{"type": "m.id.user", "user": user},
		"password":                    password,
		"initial_device_display_name": "axon bench",
	}
	var out Login
	if err := c.Do("POST", "/_matrix/client/v3/login", "", body, &out); err != nil {
		return out, err
	}
	if out.AccessToken == "" {
		return out, fmt.Errorf("%w: /login answered without access_token", ErrBadAnswer)
	}
	return out, nil
}

// Whoami returns the user ID token belongs to.
func (c *Client) Whoami(token string) (string, error) {
	var out struct {
		UserID string `json:"user_id"`
	}
	err := c.Do("GET", "/_matrix/client/v3/account/whoami", token, nil, &out)
	return out.UserID, err
}
