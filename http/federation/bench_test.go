package federation_test

import (
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/axonhs/axon/federation"
	httpfed "github.com/axonhs/axon/http/federation"
	"github.com/axonhs/axon/rooms/signing"
)

// BenchmarkAuthenticatedRequest is the X-Matrix middleware's cost per
// inbound request with the origin's key cached: header parse, key lookup,
// signature check over a typing-notification transaction.
func BenchmarkAuthenticatedRequest(b *testing.B) {
	origin, err := signing.GenerateKey("o")
	if err != nil {
		b.Fatal(err)
	}
	self, _ := signing.GenerateKey("s")
	store := federation.NewMemoryKeyStore()
	if err := store.PutServerKeys("origin.example", map[signing.KeyID]federation.StoredKey{
		origin.ID: {Public: origin.Public, ValidUntilTS: time.Now().Add(time.Hour).UnixMilli()},
	}); err != nil {
		b.Fatal(err)
	}
	kr := federation.NewKeyring(federation.KeyringConfig{Store: store})
	api := httpfed.New(httpfed.Config{ServerName: "dest.example", Keys: federation.NewPublisher("dest.example", self, nil, 0, nil), Keyring: kr})
	h := api.Authenticated(func(*fasthttp.RequestCtx, string) error { return nil })
	const uri = "/_matrix/federation/v1/send/1700000000000"
	body := []byte(`{"origin":"origin.example","origin_server_ts":1700000000000,"pdus":[],"edus":[{"edu_type":"m.typing","content":{"room_id":"!r:origin.example","user_id":"@u:origin.example","typing":true}}]}`)
	auth, err := federation.SignRequest(origin, "origin.example", "dest.example", "PUT", uri, body)
	if err != nil {
		b.Fatal(err)
	}
	var ctx fasthttp.RequestCtx
	ctx.Request.SetRequestURI(uri)
	ctx.Request.Header.SetMethod("PUT")
	ctx.Request.Header.Set("Authorization", auth)
	ctx.Request.SetBody(body)
	b.ReportAllocs()
	for b.Loop() {
		if err := h(&ctx); err != nil {
			b.Fatal(err)
		}
	}
}
