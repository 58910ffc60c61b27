package client

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/user"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/persistence"
)

// nonceLifetime is how long a shared-secret registration nonce stays
// usable (Synapse uses 60 seconds).
const nonceLifetime = 60 * time.Second

// Shared-secret registration is Synapse's admin API (docs/admin_api/
// register_api.md), kept compatible so that register_new_matrix_user and
// similar tools work: GET hands out a single-use nonce; POST carries
// mac = hex(HMAC-SHA1(secret, nonce NUL username NUL password NUL
// "admin"|"notadmin" [NUL user_type])).

func (a *API) sharedSecretEnabled() error {
	if a.cfg.SharedSecret == "" {
		return axhttp.Errorf(axhttp.CodeUnknown, "Shared secret registration is not enabled").WithStatus(fasthttp.StatusBadRequest)
	}
	return nil
}

// sharedSecretNonce is GET /_synapse/admin/v1/register.
func (a *API) sharedSecretNonce(ctx *fasthttp.RequestCtx) error {
	if err := a.sharedSecretEnabled(); err != nil {
		return err
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	nonce := hex.EncodeToString(b)
	now := a.cfg.Now()
	if err := a.cfg.Store.PutNonce(nonce, now.Add(nonceLifetime).UnixMilli()); err != nil {
		return err
	}
	if _, err := a.cfg.Store.PruneNonces(now.UnixMilli()); err != nil {
		a.log.Warn("pruning nonces", a.errField(err))
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]string{"nonce": nonce})
	return nil
}

type sharedSecretRequest struct {
	Nonce       string  `json:"nonce"`
	Username    string  `json:"username"`
	DisplayName string  `json:"displayname"`
	Password    string  `json:"password"`
	Admin       bool    `json:"admin"`
	UserType    *string `json:"user_type"`
	MAC         string  `json:"mac"`
}

// sharedSecretMAC computes the hex MAC a request must carry.
func sharedSecretMAC(secret string, r sharedSecretRequest) string {
	m := hmac.New(sha1.New, []byte(secret))
	admin := "notadmin"
	if r.Admin {
		admin = "admin"
	}
	parts := []string{r.Nonce, r.Username, r.Password, admin}
	if r.UserType != nil {
		parts = append(parts, *r.UserType)
	}
	m.Write([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(m.Sum(nil))
}

// sharedSecretRegister is POST /_synapse/admin/v1/register. The nonce is
// consumed first, so a replayed or guessed request fails even when its MAC
// is right.
func (a *API) sharedSecretRegister(ctx *fasthttp.RequestCtx) error {
	if err := a.sharedSecretEnabled(); err != nil {
		return err
	}
	var req sharedSecretRequest
	if err := axhttp.DecodeJSON(ctx, &req); err != nil {
		return err
	}
	switch {
	case req.Nonce == "":
		return axhttp.MissingParam("nonce")
	case req.Username == "":
		return axhttp.MissingParam("username")
	case req.Password == "":
		return axhttp.MissingParam("password")
	case req.MAC == "":
		return axhttp.MissingParam("mac")
	}
	err := a.cfg.Store.ConsumeNonce(req.Nonce, a.cfg.Now().UnixMilli())
	if errors.Is(err, persistence.ErrNonceUnknown) {
		return axhttp.Errorf(axhttp.CodeUnknown, "Unrecognised nonce").WithStatus(fasthttp.StatusBadRequest)
	}
	if err != nil {
		return err
	}
	want, _ := hex.DecodeString(sharedSecretMAC(a.cfg.SharedSecret, req))
	got, err := hex.DecodeString(strings.ToLower(req.MAC))
	if err != nil || !hmac.Equal(want, got) {
		return axhttp.Errorf(axhttp.CodeForbidden, "HMAC incorrect")
	}
	lp := strings.ToLower(req.Username)
	if err := a.validLocalpart(lp); err != nil {
		return err
	}
	if err := checkNewPassword(req.Password); err != nil {
		return err
	}
	hash, err := hashPassword(req.Password, a.cfg.BcryptCost)
	if err != nil {
		return err
	}
	r := user.Registration{Localpart: lp, PasswordHash: hash, Admin: req.Admin,
		Login: &user.LoginOptions{IP: axhttp.ClientIP(ctx)}}
	if req.UserType != nil {
		r.UserType = *req.UserType
	}
	c, err := a.registerAccount(r)
	if err != nil {
		return err
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, a.credentialsBody(c, true))
	return nil
}
