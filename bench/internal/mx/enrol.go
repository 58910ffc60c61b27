package mx

import (
	"errors"
	"fmt"
)

// RegisterOrLogin registers name with password, or logs it in when the
// name is taken already (a rerun with the same prefix and password).
// With sharedSecret set it registers through RegisterShared, else through
// Register's m.login.dummy. Each request is retried up to attempts times
// while rate-limited. The answer always carries the user ID (asked with
// Whoami when registration left it out) and an access token.
func (c *Client) RegisterOrLogin(name, password, sharedSecret string, attempts int) (Login, error) {
	var l Login
	err := Retrying(attempts, func() error {
		var err error
		if sharedSecret != "" {
			l, err = c.RegisterShared(sharedSecret, name, password)
		} else {
			l, err = c.Register(name, password, false)
		}
		return err
	})
	switch {
	case errors.Is(err, ErrUserInUse) || (err == nil && l.AccessToken == ""):
		err = Retrying(attempts, func() error {
			var err error
			l, err = c.Login(name, password)
			return err
		})
	case err != nil && sharedSecret != "":
		return Login{}, fmt.Errorf("shared-secret registration of %q refused (is -shared-secret the server's registration_shared_secret?): %w", name, err)
	case err != nil:
		return Login{}, fmt.Errorf("registration of %q refused (does the server allow open registration with m.login.dummy? else use -shared-secret): %w", name, err)
	}
	if err != nil {
		return Login{}, fmt.Errorf("logging in %q: %w", name, err)
	}
	if l.UserID == "" {
		if l.UserID, err = c.Whoami(l.AccessToken); err != nil {
			return Login{}, fmt.Errorf("whoami of %q: %w", name, err)
		}
	}
	return l, nil
}
