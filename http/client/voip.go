package client

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/user"
	axhttp "github.com/axonhs/axon/http"
)

// defaultTurnLifetime is how long TURN credentials last when
// turn_user_lifetime is not configured (Synapse's default).
const defaultTurnLifetime = 24 * time.Hour

// turnServer is GET /voip/turnServer (spec: modules/voip.md, "TURN
// server"): time-limited credentials in the TURN REST API scheme that
// coturn's use-auth-secret checks: username "expiry:userID", password
// base64(HMAC-SHA1(shared secret, username)). Without a configured secret
// and URIs the answer is an empty object.
func (a *API) turnServer(ctx *fasthttp.RequestCtx, s user.Session) error {
	if a.cfg.TurnSharedSecret == "" || len(a.cfg.TurnURIs) == 0 {
		axhttp.WriteJSON(ctx, fasthttp.StatusOK, struct{}{})
		return nil
	}
	ttl := a.cfg.TurnUserLifetime
	if ttl <= 0 {
		ttl = defaultTurnLifetime
	}
	expiry := a.cfg.Now().Add(ttl).Unix()
	username, password := turnCredentials(a.cfg.TurnSharedSecret, expiry, a.userID(s.Localpart))
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]any{
		"username": username,
		"password": password,
		"uris":     a.cfg.TurnURIs,
		"ttl":      int64(ttl.Seconds()),
	})
	return nil
}

// turnCredentials derives the TURN REST API username and password.
func turnCredentials(secret string, expiryUnix int64, userID string) (username, password string) {
	username = strconv.FormatInt(expiryUnix, 10) + ":" + userID
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(username))
	return username, base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
