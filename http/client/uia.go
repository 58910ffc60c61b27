package client

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"slices"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	axhttp "github.com/axonhs/axon/http"
)

// UIA stage types (spec: client-server-api "Authentication types").
const (
	stageDummy     = "m.login.dummy"
	stagePassword  = "m.login.password"
	stageRegToken  = "m.login.registration_token"
	uiaSessionSize = 16
)

// uiaSession is one User-Interactive Authentication session. Sessions live in
// memory only (bounded, with a time to live): a restart merely makes a
// client start its authentication again.
type uiaSession struct {
	id        string
	purpose   string // which request, for whom: "register", "password:@u:hs", …
	completed []string
	created   time.Time
	// regToken is the registration token this session reserved a use of.
	regToken string
}

type uiaSessions struct {
	mu       sync.Mutex
	max      int
	ttl      time.Duration
	now      func() time.Time
	m        map[string]*uiaSession
	onExpire func(*uiaSession)
}

func newUIASessions(max int, ttl time.Duration, now func() time.Time, onExpire func(*uiaSession)) *uiaSessions {
	return &uiaSessions{max: max, ttl: ttl, now: now, m: make(map[string]*uiaSession), onExpire: onExpire}
}

// create starts a session; when the table is full it drops expired sessions
// and, if still full, the oldest.
func (u *uiaSessions) create(purpose string) *uiaSession {
	b := make([]byte, uiaSessionSize)
	_, _ = rand.Read(b)
	s := &uiaSession{id: hex.EncodeToString(b), purpose: purpose, created: u.now()}
	var dropped []*uiaSession
	u.mu.Lock()
	if len(u.m) >= u.max {
		dropped = u.sweepLocked(true)
	}
	u.m[s.id] = s
	u.mu.Unlock()
	for _, d := range dropped {
		u.onExpire(d)
	}
	return s
}

func (u *uiaSessions) sweepLocked(forceOne bool) []*uiaSession {
	var dropped []*uiaSession
	var oldest *uiaSession
	now := u.now()
	for id, s := range u.m {
		if now.Sub(s.created) > u.ttl {
			delete(u.m, id)
			dropped = append(dropped, s)
		} else if oldest == nil || s.created.Before(oldest.created) {
			oldest = s
		}
	}
	if forceOne && len(dropped) == 0 && oldest != nil {
		delete(u.m, oldest.id)
		dropped = append(dropped, oldest)
	}
	return dropped
}

// get returns a live session, or nil.
func (u *uiaSessions) get(id string) *uiaSession {
	u.mu.Lock()
	defer u.mu.Unlock()
	s := u.m[id]
	if s != nil && u.now().Sub(s.created) > u.ttl {
		delete(u.m, id)
		go u.onExpire(s)
		return nil
	}
	return s
}

// finish removes a session whose request has been carried out.
func (u *uiaSessions) finish(id string) {
	u.mu.Lock()
	delete(u.m, id)
	u.mu.Unlock()
}

// update runs f on a session under the lock.
func (u *uiaSessions) update(s *uiaSession, f func(*uiaSession)) {
	u.mu.Lock()
	defer u.mu.Unlock()
	f(s)
}

// authDict is the "auth" object of a request (spec: "Authentication API").
type authDict struct {
	Type       string          `json:"type"`
	Session    string          `json:"session"`
	Token      string          `json:"token"`
	Password   string          `json:"password"`
	User       string          `json:"user"`
	Identifier *userIdentifier `json:"identifier"`
}

type userIdentifier struct {
	Type string `json:"type"`
	User string `json:"user"`
}

// stageCheck verifies one stage; a returned *axhttp.Error is sent inside
// the 401 body (spec: a failed stage answers 401 with errcode and error
// alongside the flows).
type stageCheck func(stage string, auth authDict, s *uiaSession) error

// interactive runs one step of User-Interactive Authentication (spec:
// client-server-api "User-Interactive Authentication API"). It returns the
// session once every stage of one flow is complete; otherwise it returns
// the 401 (or other) error to send.
func (a *API) interactive(raw json.RawMessage, purpose string, flows [][]string, check stageCheck) (*uiaSession, error) {
	var auth authDict
	if len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &auth); err != nil {
			return nil, axhttp.Errorf(axhttp.CodeBadJSON, "Malformed auth object")
		}
	}
	var s *uiaSession
	if auth.Session != "" {
		if s = a.uia.get(auth.Session); s == nil {
			return nil, axhttp.Errorf(axhttp.CodeUnknown, "Unknown session").WithStatus(fasthttp.StatusBadRequest)
		}
		if s.purpose != purpose {
			return nil, axhttp.Errorf(axhttp.CodeForbidden, "Session belongs to another request")
		}
	} else {
		s = a.uia.create(purpose)
	}
	var sofar []string
	a.uia.update(s, func(s *uiaSession) { sofar = slices.Clone(s.completed) })
	for _, f := range flows {
		// Authentication already finished but the request itself failed
		// (a name taken meanwhile): the client may retry on the session.
		if flowDone(f, sofar) {
			return s, nil
		}
	}
	if auth.Type == "" {
		return nil, a.uiaChallenge(s, flows, nil)
	}
	if !nextStageAllowed(flows, sofar, auth.Type) {
		return nil, a.uiaChallenge(s, flows, axhttp.Errorf(axhttp.CodeUnrecognized, "Unexpected authentication type %s", auth.Type))
	}
	if err := check(auth.Type, auth, s); err != nil {
		return nil, a.uiaChallenge(s, flows, err)
	}
	var completed []string
	a.uia.update(s, func(s *uiaSession) {
		if !slices.Contains(s.completed, auth.Type) {
			s.completed = append(s.completed, auth.Type)
		}
		completed = slices.Clone(s.completed)
	})
	for _, f := range flows {
		if flowDone(f, completed) {
			return s, nil
		}
	}
	return nil, a.uiaChallenge(s, flows, nil)
}

// nextStageAllowed reports whether stage continues some flow whose stages
// so far are exactly those completed, in order.
func nextStageAllowed(flows [][]string, completed []string, stage string) bool {
	for _, f := range flows {
		if len(f) > len(completed) && slices.Equal(f[:len(completed)], completed) && f[len(completed)] == stage {
			return true
		}
	}
	return false
}

func flowDone(flow, completed []string) bool {
	return len(completed) >= len(flow) && slices.Equal(flow, completed[:len(flow)])
}

// uiaChallenge builds the 401 body: flows, params, session, completed, and
// the stage's error if one failed. Errors that are not Matrix errors pass
// through unchanged (they become 500s).
func (a *API) uiaChallenge(s *uiaSession, flows [][]string, stageErr error) error {
	type flow struct {
		Stages []string `json:"stages"`
	}
	fs := make([]flow, len(flows))
	for i, f := range flows {
		fs[i] = flow{Stages: f}
	}
	var completed []string
	a.uia.update(s, func(s *uiaSession) { completed = append([]string{}, s.completed...) })
	out := &axhttp.Error{Status: fasthttp.StatusUnauthorized, Extra: map[string]any{
		"flows": fs, "params": map[string]any{}, "session": s.id, "completed": completed,
	}}
	if stageErr != nil {
		me, ok := stageErr.(*axhttp.Error)
		if !ok {
			return stageErr
		}
		out.Code, out.Message = me.Code, me.Message
	}
	return out
}

// checkPassword is the m.login.password stage for an already authenticated
// user: the identifier must name that user and the password must match.
func (a *API) checkPassword(localpart string) stageCheck {
	return func(stage string, auth authDict, _ *uiaSession) error {
		if stage != stagePassword {
			return axhttp.Errorf(axhttp.CodeUnrecognized, "Unexpected authentication type")
		}
		who := auth.User
		if auth.Identifier != nil {
			if auth.Identifier.Type != "m.id.user" {
				return axhttp.Errorf(axhttp.CodeUnknown, "Unknown identifier type").WithStatus(fasthttp.StatusBadRequest)
			}
			who = auth.Identifier.User
		}
		if who != "" {
			if lp, ok := a.loginLocalpart(who); !ok || lp != localpart {
				return axhttp.Errorf(axhttp.CodeForbidden, "Password is for another user")
			}
		}
		acct, err := a.cfg.Store.Account(localpart)
		if err != nil || !passwordMatches(acct.PasswordHash, auth.Password) {
			return axhttp.Errorf(axhttp.CodeForbidden, "Invalid password")
		}
		return nil
	}
}

// releaseSession gives back an expired session's registration-token use.
func (a *API) releaseSession(s *uiaSession) {
	if s.regToken != "" {
		if err := a.cfg.Store.ReleaseRegistrationToken(s.regToken, false); err != nil {
			a.log.Warn("releasing registration token", a.errField(err))
		}
	}
}
