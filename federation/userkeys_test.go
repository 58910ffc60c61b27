package federation_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/federation"
	"github.com/axonhs/axon/federation/fedtest"
)

// The user-keys calls send the spec's bodies (an empty device list for
// "every device", never null) to the spec's paths, with the user ID
// escaped, and decode the answers; /user/devices for another user than
// the one asked is an error.
func TestClientUserKeys(t *testing.T) {
	hub, err := fedtest.NewHub("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Close()
	peer, err := hub.AddPeer("peer.example")
	if err != nil {
		t.Fatal(err)
	}
	var queried, claimed map[string]json.RawMessage
	var devicesPath string
	answerFor := "@bob/x:peer.example"
	peer.Handle(fasthttp.MethodPost, "/_matrix/federation/v1/user/keys/query", func(ctx *fasthttp.RequestCtx) {
		_ = json.Unmarshal(ctx.PostBody(), &queried)
		ctx.SetBodyString(`{"device_keys":{"@bob/x:peer.example":{"D1":{"user_id":"@bob/x:peer.example","device_id":"D1"}}},
			"master_keys":{"@bob/x:peer.example":{"usage":["master"]}}}`)
	})
	peer.Handle(fasthttp.MethodPost, "/_matrix/federation/v1/user/keys/claim", func(ctx *fasthttp.RequestCtx) {
		_ = json.Unmarshal(ctx.PostBody(), &claimed)
		ctx.SetBodyString(`{"one_time_keys":{"@bob/x:peer.example":{"D1":{"signed_curve25519:AAA":{"key":"k"}}}}}`)
	})
	peer.Handle(fasthttp.MethodGet, "/_matrix/federation/v1/user/devices/", func(ctx *fasthttp.RequestCtx) {
		devicesPath = string(ctx.RequestURI())
		ctx.SetBodyString(`{"user_id":"` + answerFor + `","stream_id":7,"devices":[{"device_id":"D1","device_display_name":"Phone","keys":{"device_id":"D1"}}],
			"self_signing_key":{"usage":["self_signing"]}}`)
	})
	c := peerClient(t, hub)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	keys, err := c.QueryUserKeys(ctx, "peer.example", map[string][]string{"@bob/x:peer.example": nil})
	if err != nil {
		t.Fatal(err)
	}
	if string(queried["device_keys"]) != `{"@bob/x:peer.example":[]}` {
		t.Fatalf("query body device_keys = %s", queried["device_keys"])
	}
	if len(keys.DeviceKeys["@bob/x:peer.example"]) != 1 || keys.MasterKeys["@bob/x:peer.example"] == nil {
		t.Fatalf("query answer %+v", keys)
	}

	otks, err := c.ClaimUserKeys(ctx, "peer.example", map[string]map[string]string{"@bob/x:peer.example": {"D1": "signed_curve25519"}})
	if err != nil || string(claimed["one_time_keys"]) != `{"@bob/x:peer.example":{"D1":"signed_curve25519"}}` ||
		string(otks["@bob/x:peer.example"]["D1"]["signed_curve25519:AAA"]) != `{"key":"k"}` {
		t.Fatalf("claim: %v, body %s, answer %v", err, claimed["one_time_keys"], otks)
	}

	devs, err := c.GetUserDevices(ctx, "peer.example", "@bob/x:peer.example")
	if err != nil || devs.StreamID != 7 || len(devs.Devices) != 1 || devs.Devices[0].DisplayName != "Phone" || devs.SelfSigningKey == nil {
		t.Fatalf("devices: %+v, %v", devs, err)
	}
	if devicesPath != "/_matrix/federation/v1/user/devices/%40bob%2Fx%3Apeer.example" {
		t.Fatalf("devices path %q", devicesPath)
	}
	answerFor = "@mallory:peer.example"
	if _, err := c.GetUserDevices(ctx, "peer.example", "@bob/x:peer.example"); !errors.Is(err, federation.ErrRemote) {
		t.Fatalf("devices of another user: %v, want ErrRemote", err)
	}
}
