package client

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"slices"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/user"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/persistence"
	"github.com/axonhs/axon/rooms/signing"
)

// crossSigningKeyJSON is a CrossSigningKey (spec: cross_signing.yaml).
type crossSigningKeyJSON struct {
	UserID string            `json:"user_id"`
	Usage  []string          `json:"usage"`
	Keys   map[string]string `json:"keys"`
}

// parseCrossSigningKey checks one uploaded key: the caller's, with the
// usage, and exactly one ed25519 key whose ID names its public key.
func (a *API) parseCrossSigningKey(raw json.RawMessage, usage, owner string) (crossSigningKeyJSON, ed25519.PublicKey, error) {
	var k crossSigningKeyJSON
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &k) != nil {
		return k, nil, axhttp.Errorf(axhttp.CodeBadJSON, "%s_key must be a CrossSigningKey object", usage)
	}
	if k.UserID != owner || !slices.Contains(k.Usage, usage) || len(k.Keys) != 1 {
		return k, nil, axhttp.Errorf(axhttp.CodeInvalidParam, "%s_key must be %s's, with usage %s and one key", usage, owner, usage)
	}
	for id, pub := range k.Keys {
		p, err := signing.DecodeBase64(pub)
		if err != nil || len(p) != ed25519.PublicKeySize || id != "ed25519:"+pub {
			return k, nil, axhttp.Errorf(axhttp.CodeInvalidParam, "%s_key has a malformed ed25519 key", usage)
		}
		return k, ed25519.PublicKey(p), nil
	}
	return k, nil, axhttp.Errorf(axhttp.CodeInvalidParam, "%s_key has no key", usage)
}

// uploadCrossSigning is POST /keys/device_signing/upload (spec: "Cross-
// signing"). The first upload needs no interactive authentication, as
// Synapse allows for new accounts; replacing an existing key needs the
// account's password. self_signing and user_signing keys must carry a valid
// signature of the master key.
func (a *API) uploadCrossSigning(ctx *fasthttp.RequestCtx, s user.Session) error {
	var req struct {
		Master      json.RawMessage `json:"master_key"`
		SelfSigning json.RawMessage `json:"self_signing_key"`
		UserSigning json.RawMessage `json:"user_signing_key"`
		Auth        json.RawMessage `json:"auth"`
	}
	if err := axhttp.DecodeJSON(ctx, &req); err != nil {
		return err
	}
	owner := a.userID(s.Localpart)
	uploads := map[string]json.RawMessage{}
	for usage, raw := range map[string]json.RawMessage{"master": req.Master, "self_signing": req.SelfSigning, "user_signing": req.UserSigning} {
		if t := bytes.TrimSpace(raw); len(t) > 0 && !bytes.Equal(t, []byte("null")) {
			uploads[usage] = t
		}
	}
	if len(uploads) == 0 {
		return axhttp.Errorf(axhttp.CodeInvalidParam, "No cross-signing keys given")
	}
	masterRaw := uploads["master"]
	if masterRaw == nil {
		stored, err := a.cfg.Store.CrossSigningKey(s.Localpart, "master")
		if errors.Is(err, persistence.ErrNotFound) {
			return axhttp.Errorf(axhttp.CodeInvalidParam, "A master key is needed first")
		}
		if err != nil {
			return err
		}
		masterRaw = stored
	}
	master, masterPub, err := a.parseCrossSigningKey(masterRaw, "master", owner)
	if err != nil {
		return err
	}
	var masterID string
	for id := range master.Keys {
		masterID = id
	}
	replacing := false
	for usage, raw := range uploads {
		if usage != "master" {
			if _, _, err := a.parseCrossSigningKey(raw, usage, owner); err != nil {
				return err
			}
			if err := signing.VerifyJSON(raw, owner, signing.KeyID(masterID), masterPub); err != nil {
				return axhttp.Errorf(axhttp.CodeInvalidParam, "%s_key is not signed by the master key", usage)
			}
		}
		old, err := a.cfg.Store.CrossSigningKey(s.Localpart, usage)
		switch {
		case errors.Is(err, persistence.ErrNotFound):
		case err != nil:
			return err
		default:
			if !sameKeys(old, raw) {
				replacing = true
			}
		}
	}
	var sess *uiaSession
	if replacing {
		sess, err = a.interactive(req.Auth, "device_signing:"+s.Localpart, [][]string{{stagePassword}}, a.checkPassword(s.Localpart))
		if err != nil {
			return err
		}
	}
	if _, err := a.doUser(s.Localpart, user.UploadCrossSigning{Keys: uploads}); err != nil {
		return err
	}
	if sess != nil {
		a.uia.finish(sess.id)
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, struct{}{})
	return nil
}

// sameKeys compares the "keys" members of two key objects.
func sameKeys(a, b json.RawMessage) bool {
	var x, y struct {
		Keys map[string]string `json:"keys"`
	}
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil || len(x.Keys) != len(y.Keys) {
		return false
	}
	for k, v := range x.Keys {
		if y.Keys[k] != v {
			return false
		}
	}
	return true
}

// signingKeys are a local user's public keys that can make signatures, by
// key ID ("ed25519:<device ID>" or "ed25519:<public key>").
type signingKeys struct {
	keys     map[string]ed25519.PublicKey
	devices  map[string]json.RawMessage // device ID → device keys
	byPub    map[string]string          // cross-signing public key → usage
	userSign string                     // key ID of the user-signing key
}

func (a *API) signingKeysOf(lp string) (signingKeys, error) {
	sk := signingKeys{keys: map[string]ed25519.PublicKey{}, byPub: map[string]string{}}
	devs, err := a.cfg.Store.AllDeviceKeys(lp)
	if err != nil {
		return sk, err
	}
	sk.devices = devs
	for _, raw := range devs {
		var d deviceKeysJSON
		if json.Unmarshal(raw, &d) != nil {
			continue
		}
		if pub, err := signing.DecodeBase64(d.Keys["ed25519:"+d.DeviceID]); err == nil && len(pub) == ed25519.PublicKeySize {
			sk.keys["ed25519:"+d.DeviceID] = pub
		}
	}
	for _, usage := range []string{"master", "self_signing", "user_signing"} {
		raw, err := a.cfg.Store.CrossSigningKey(lp, usage)
		if errors.Is(err, persistence.ErrNotFound) {
			continue
		}
		if err != nil {
			return sk, err
		}
		var k crossSigningKeyJSON
		if json.Unmarshal(raw, &k) != nil {
			continue
		}
		for id, pubB64 := range k.Keys {
			if pub, err := signing.DecodeBase64(pubB64); err == nil && len(pub) == ed25519.PublicKeySize {
				sk.keys[id] = pub
				sk.byPub[pubB64] = usage
				if usage == "user_signing" {
					sk.userSign = id
				}
			}
		}
	}
	return sk, nil
}

// signatureFailure is one entry of the failures map.
func signatureFailure(code, msg string) map[string]string {
	return map[string]string{"errcode": code, "error": msg}
}

// uploadSignatures is POST /keys/signatures/upload (spec: "Cross-signing"):
// each signed object is checked against the stored key it signs and its
// new signatures by the caller are verified before they are stored; the
// rest are reported per key in failures.
func (a *API) uploadSignatures(ctx *fasthttp.RequestCtx, s user.Session) error {
	var req map[string]map[string]json.RawMessage
	if err := axhttp.DecodeJSON(ctx, &req); err != nil {
		return err
	}
	me := a.userID(s.Localpart)
	mine, err := a.signingKeysOf(s.Localpart)
	if err != nil {
		return err
	}
	failures := map[string]map[string]any{}
	fail := func(uid, kid, code, msg string) {
		if failures[uid] == nil {
			failures[uid] = map[string]any{}
		}
		failures[uid][kid] = signatureFailure(code, msg)
	}
	var targets []user.SignatureTarget
	for uid, objs := range req {
		lp, local, err := a.localUser(uid)
		if err != nil || !local {
			for kid := range objs {
				fail(uid, kid, "M_NOT_FOUND", "User not known to this server")
			}
			continue
		}
		var theirs signingKeys
		if uid != me {
			if theirs, err = a.signingKeysOf(lp); err != nil {
				return err
			}
		}
		for kid, obj := range objs {
			t, code, msg := a.signatureTarget(uid, lp, me, s.Localpart, kid, obj, mine, theirs)
			if code != "" {
				fail(uid, kid, code, msg)
				continue
			}
			targets = append(targets, t)
		}
	}
	if len(targets) > 0 {
		if _, err := a.doUser(s.Localpart, user.AddSignatures{Targets: targets}); err != nil {
			return err
		}
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]any{"failures": failures})
	return nil
}

// signatureTarget checks one signed object: which stored key it is, that
// its identity matches, and which of the caller's signatures on it verify.
func (a *API) signatureTarget(uid, lp, me, mineLP, kid string, obj json.RawMessage, mine, theirs signingKeys) (user.SignatureTarget, string, string) {
	var t user.SignatureTarget
	var stored json.RawMessage
	switch {
	case uid == me && mine.devices[kid] != nil:
		t.DeviceID, stored = kid, mine.devices[kid]
	case uid == me && mine.byPub[kid] != "":
		t.Usage = mine.byPub[kid]
		raw, err := a.cfg.Store.CrossSigningKey(mineLP, t.Usage)
		if err != nil {
			return t, "M_NOT_FOUND", "Key not found"
		}
		stored = raw
	case uid != me && theirs.byPub[kid] == "master":
		t.ForeignUser, t.KeyID = uid, kid
		raw, err := a.cfg.Store.CrossSigningKey(lp, "master")
		if err != nil {
			return t, "M_NOT_FOUND", "Key not found"
		}
		stored = raw
	default:
		return t, "M_NOT_FOUND", "Key not found"
	}
	if !sameKeys(stored, obj) {
		return t, "M_INVALID_PARAM", "Signed object does not match the stored key"
	}
	// signing.Signatures keeps only server-style key IDs; cross-signing key
	// IDs carry base64 public keys, so the signatures are read here.
	var signed struct {
		Signatures map[string]map[string]string `json:"signatures"`
	}
	if err := json.Unmarshal(obj, &signed); err != nil {
		return t, "M_BAD_JSON", "Malformed signatures"
	}
	sigs := signed.Signatures
	valid := map[string]string{}
	for keyID, sig := range sigs[me] {
		pub, ok := mine.keys[keyID]
		if !ok {
			continue
		}
		if t.ForeignUser != "" && keyID != mine.userSign {
			continue // only the user-signing key signs other users' keys
		}
		if signing.VerifyJSON(obj, me, signing.KeyID(keyID), pub) != nil {
			return t, "M_INVALID_SIGNATURE", "Signature by " + keyID + " does not verify"
		}
		valid[keyID] = sig
	}
	if len(valid) == 0 {
		return t, "M_INVALID_SIGNATURE", "No valid signature by this user"
	}
	t.Signatures = map[string]map[string]string{me: valid}
	return t, "", ""
}
