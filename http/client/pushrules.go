package client

import (
	"errors"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/actors/user"
	axhttp "github.com/axonhs/axon/http"
	"github.com/axonhs/axon/http/client/push"
)

// Push rules: the server-default rules only. Edited rules and pushers are
// not stored yet; their endpoints answer with the spec's errors instead of
// pretending to succeed.
func (a *API) mountPushRules(rt *axhttp.Router, p string) {
	plain := axhttp.Route{}
	get, put, del := fasthttp.MethodGet, fasthttp.MethodPut, fasthttp.MethodDelete
	rt.Handle(get, p+"/pushrules/", plain, a.authed(a.getPushRules))
	rt.Handle(get, p+"/pushrules/global/", plain, a.authed(a.getGlobalPushRules))
	rt.Handle(get, p+"/pushrules/global/{kind}/{ruleId}", plain, a.authed(a.getPushRule))
	rt.Handle(get, p+"/pushrules/global/{kind}/{ruleId}/enabled", plain, a.authed(a.getPushRuleEnabled))
	rt.Handle(get, p+"/pushrules/global/{kind}/{ruleId}/actions", plain, a.authed(a.getPushRuleActions))
	rt.Handle(put, p+"/pushrules/global/{kind}/{ruleId}", plain, a.authed(a.putPushRule))
	rt.Handle(put, p+"/pushrules/global/{kind}/{ruleId}/enabled", plain, a.authed(a.editPushRule))
	rt.Handle(put, p+"/pushrules/global/{kind}/{ruleId}/actions", plain, a.authed(a.editPushRule))
	rt.Handle(del, p+"/pushrules/global/{kind}/{ruleId}", plain, a.authed(a.editPushRule))
	rt.Handle(fasthttp.MethodGet, p+"/pushers", plain, a.authed(a.getPushers))
}

// getPushRules is GET /pushrules/: {"global": ruleset}.
func (a *API) getPushRules(ctx *fasthttp.RequestCtx, s user.Session) error {
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]any{"global": push.Defaults(a.userID(s.Localpart))})
	return nil
}

// getGlobalPushRules is GET /pushrules/global/: the ruleset itself.
func (a *API) getGlobalPushRules(ctx *fasthttp.RequestCtx, s user.Session) error {
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, push.Defaults(a.userID(s.Localpart)))
	return nil
}

func (a *API) findPushRule(ctx *fasthttp.RequestCtx, s user.Session) (push.Rule, error) {
	kind, err := axhttp.Param(ctx, "kind")
	if err != nil {
		return push.Rule{}, err
	}
	id, err := axhttp.Param(ctx, "ruleId")
	if err != nil {
		return push.Rule{}, err
	}
	rules, ok := push.Defaults(a.userID(s.Localpart)).Of(kind)
	if !ok {
		return push.Rule{}, axhttp.Errorf(axhttp.CodeInvalidParam, "Unknown push rule kind")
	}
	for _, r := range rules {
		if r.RuleID == id {
			return r, nil
		}
	}
	return push.Rule{}, axhttp.Errorf(axhttp.CodeNotFound, "Unknown push rule")
}

// getPushRule is GET /pushrules/global/{kind}/{ruleId}.
func (a *API) getPushRule(ctx *fasthttp.RequestCtx, s user.Session) error {
	r, err := a.findPushRule(ctx, s)
	if err != nil {
		return err
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, r)
	return nil
}

// getPushRuleEnabled is GET …/{ruleId}/enabled.
func (a *API) getPushRuleEnabled(ctx *fasthttp.RequestCtx, s user.Session) error {
	r, err := a.findPushRule(ctx, s)
	if err != nil {
		return err
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]any{"enabled": r.Enabled})
	return nil
}

// getPushRuleActions is GET …/{ruleId}/actions.
func (a *API) getPushRuleActions(ctx *fasthttp.RequestCtx, s user.Session) error {
	r, err := a.findPushRule(ctx, s)
	if err != nil {
		return err
	}
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]any{"actions": r.Actions})
	return nil
}

// errRuleEditing is the spec's 400 for a rule that cannot be configured
// (pushrules.yaml, PUT: "There was a problem configuring this push rule").
func errRuleEditing() error {
	return axhttp.Errorf(axhttp.CodeUnknown, "Push rules cannot be changed on this server yet").WithStatus(fasthttp.StatusBadRequest)
}

// putPushRule is PUT /pushrules/global/{kind}/{ruleId}: creating or
// changing a rule is refused with the spec's 400 until rules are stored.
func (a *API) putPushRule(ctx *fasthttp.RequestCtx, s user.Session) error {
	if _, err := a.findPushRule(ctx, s); err != nil {
		var me *axhttp.Error
		if errors.As(err, &me) && me.Code != axhttp.CodeNotFound {
			return err // unknown kind
		}
	}
	return errRuleEditing()
}

// editPushRule is PUT …/enabled, PUT …/actions and DELETE of a rule:
// M_NOT_FOUND for rules that do not exist, as the spec says, and the
// spec's 400 for the defaults, which cannot be changed yet.
func (a *API) editPushRule(ctx *fasthttp.RequestCtx, s user.Session) error {
	if _, err := a.findPushRule(ctx, s); err != nil {
		return err
	}
	return errRuleEditing()
}

// getPushers is GET /pushers: no pusher can be registered yet.
func (a *API) getPushers(ctx *fasthttp.RequestCtx, _ user.Session) error {
	axhttp.WriteJSON(ctx, fasthttp.StatusOK, map[string]any{"pushers": []any{}})
	return nil
}
