package tests

import (
	"errors"
	"testing"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/id"
)

func passwordAuth(user, password string) map[string]any {
	return map[string]any{
		"type":       "m.login.password",
		"identifier": map[string]string{"type": "m.id.user", "user": user},
		"password":   password,
	}
}

func login(t *testing.T, cli *mautrix.Client, user, password string) *mautrix.RespLogin {
	t.Helper()
	resp, err := cli.Login(bg(t), &mautrix.ReqLogin{
		Type:             mautrix.AuthTypePassword,
		Identifier:       mautrix.UserIdentifier{Type: mautrix.IdentifierTypeUser, User: user},
		Password:         password,
		StoreCredentials: true,
	})
	if err != nil {
		t.Fatalf("login %s: %v", user, err)
	}
	return resp
}

// TestAccountLifecycle is the end-to-end scenario: register through
// UIA, log in, whoami, list/rename/delete devices, change password, log out,
// restart on the same data directory and log in again.
func TestAccountLifecycle(t *testing.T) {
	dir := tempDir(t)
	cfg := testConfig(t, dir)
	srv := startServer(t, cfg)
	ctx := bg(t)

	// Register through UIA with m.login.dummy.
	phone := newClient(t, srv)
	reg, err := phone.RegisterDummy(ctx, &mautrix.ReqRegister[any]{
		Username: "alice", Password: "correct horse", InitialDeviceDisplayName: "phone",
	})
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	if reg.UserID != "@alice:localhost" || reg.AccessToken == "" || reg.DeviceID == "" {
		t.Fatalf("register response %+v", reg)
	}
	phone.SetCredentials(reg.UserID, reg.AccessToken)
	phone.DeviceID = reg.DeviceID

	// The name is now taken.
	if _, err := newClient(t, srv).RegisterAvailable(ctx, "alice"); !errors.Is(err, mautrix.MUserInUse) {
		t.Fatalf("register/available for a taken name: %v", err)
	}

	// Log in from a second device, with a full user ID.
	laptop := newClient(t, srv)
	lr := login(t, laptop, "@alice:localhost", "correct horse")
	if lr.DeviceID == reg.DeviceID {
		t.Fatal("login reused the registration device")
	}
	who, err := laptop.Whoami(ctx)
	if err != nil || who.UserID != "@alice:localhost" || who.DeviceID != lr.DeviceID {
		t.Fatalf("whoami = %+v, %v", who, err)
	}

	// Devices: list, rename, read back.
	devs, err := laptop.GetDevicesInfo(ctx)
	if err != nil || len(devs.Devices) != 2 {
		t.Fatalf("devices = %+v, %v", devs, err)
	}
	if err := laptop.SetDeviceInfo(ctx, lr.DeviceID, &mautrix.ReqDeviceInfo{DisplayName: "laptop"}); err != nil {
		t.Fatal(err)
	}
	d, err := phone.GetDeviceInfo(ctx, lr.DeviceID)
	if err != nil || d.DisplayName != "laptop" {
		t.Fatalf("renamed device = %+v, %v", d, err)
	}
	if _, err := phone.GetDeviceInfo(ctx, "NOSUCHDEVICE"); !errors.Is(err, mautrix.MNotFound) {
		t.Fatalf("unknown device: %v", err)
	}

	// Delete the phone from the laptop: UIA with the password.
	err = laptop.DeleteDevice(ctx, reg.DeviceID, &mautrix.ReqDeleteDevice[any]{Auth: passwordAuth("alice", "wrong")})
	if err == nil {
		t.Fatal("device deleted with a wrong password")
	}
	if err := laptop.DeleteDevice(ctx, reg.DeviceID, &mautrix.ReqDeleteDevice[any]{Auth: passwordAuth("alice", "correct horse")}); err != nil {
		t.Fatalf("delete device: %v", err)
	}
	if _, err := phone.Whoami(ctx); !errors.Is(err, mautrix.MUnknownToken) {
		t.Fatalf("deleted device's token: %v", err)
	}

	// A third session, then change the password from the laptop: the
	// third is logged out, the laptop stays.
	tablet := newClient(t, srv)
	login(t, tablet, "alice", "correct horse")
	_, err = laptop.MakeRequest(ctx, "POST", laptop.BuildClientURL("v3", "account", "password"), map[string]any{
		"new_password": "battery staple", "auth": passwordAuth("alice", "correct horse"),
	}, nil)
	if err != nil {
		t.Fatalf("change password: %v", err)
	}
	if _, err := tablet.Whoami(ctx); !errors.Is(err, mautrix.MUnknownToken) {
		t.Fatalf("other device after password change: %v", err)
	}
	if _, err := laptop.Whoami(ctx); err != nil {
		t.Fatalf("own device after password change: %v", err)
	}
	if _, err := newClient(t, srv).Login(ctx, &mautrix.ReqLogin{
		Type: mautrix.AuthTypePassword, Identifier: mautrix.UserIdentifier{Type: mautrix.IdentifierTypeUser, User: "alice"},
		Password: "correct horse",
	}); !errors.Is(err, mautrix.MForbidden) {
		t.Fatalf("login with the old password: %v", err)
	}

	// A session that will stay alive across the restart.
	keeper := newClient(t, srv)
	kr := login(t, keeper, "alice", "battery staple")

	// Log the laptop out: its token is dead.
	oldToken := laptop.AccessToken
	if _, err := laptop.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	laptop.AccessToken = oldToken
	if _, err := laptop.Whoami(ctx); !errors.Is(err, mautrix.MUnknownToken) {
		t.Fatalf("whoami after logout: %v", err)
	}

	// Restart on the same data directory.
	stopServer(t, srv)
	srv2 := startServer(t, testConfig(t, dir))

	again := newClient(t, srv2)
	login(t, again, "alice", "battery staple")
	if who, err := again.Whoami(ctx); err != nil || who.UserID != "@alice:localhost" {
		t.Fatalf("whoami after restart: %+v, %v", who, err)
	}
	dead := newClient(t, srv2)
	dead.SetCredentials("@alice:localhost", oldToken)
	if _, err := dead.Whoami(ctx); !errors.Is(err, mautrix.MUnknownToken) {
		t.Fatalf("logged-out token after restart: %v", err)
	}
	live := newClient(t, srv2)
	live.SetCredentials("@alice:localhost", kr.AccessToken)
	if who, err := live.Whoami(ctx); err != nil || who.DeviceID != kr.DeviceID {
		t.Fatalf("live token after restart: %+v, %v", who, err)
	}
	devs, err = live.GetDevicesInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[id.DeviceID]bool{}
	for _, d := range devs.Devices {
		ids[d.DeviceID] = true
	}
	if len(ids) != 2 || !ids[kr.DeviceID] || ids[lr.DeviceID] || ids[reg.DeviceID] {
		t.Fatalf("devices after restart: %v", ids)
	}
}
