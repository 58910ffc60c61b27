package main

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
)

// registerShared creates a user through shared-secret registration
// (GET then POST /_synapse/admin/v1/register), the way Synapse's
// register_new_matrix_user does: the MAC is hex HMAC-SHA1 keyed with the
// secret over nonce NUL user NUL password NUL "notadmin".
func (c *client) registerShared(secret, user, password string) error {
	const path = "/_synapse/admin/v1/register"
	var nonce struct {
		Nonce string `json:"nonce"`
	}
	if _, _, err := c.do("GET", path, "", nil, &nonce); err != nil {
		return err
	}
	if nonce.Nonce == "" {
		return fmt.Errorf("accounts: %s answered without a nonce", path)
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
	_, data, err := c.do("POST", path, "", body, nil)
	if err != nil && isUserInUse(data) {
		return errUserInUse
	}
	return err
}
