package federation_test

import (
	"context"
	"testing"
	"time"

	"github.com/axonhs/axon/federation"
)

var benchBody = []byte(`{"origin":"origin.example","origin_server_ts":1700000000000,"pdus":[],"edus":[{"edu_type":"m.typing","content":{"room_id":"!r:origin.example","user_id":"@u:origin.example","typing":true}}]}`)

const benchURI = "/_matrix/federation/v1/send/1700000000000"

func BenchmarkXMatrixSign(b *testing.B) {
	key := newKey(b, "b")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := federation.SignRequest(key, "origin.example", "dest.example", "PUT", benchURI, benchBody); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkXMatrixVerify is what the inbound middleware does per request
// once the key is cached: parse the header and verify the signature.
func BenchmarkXMatrixVerify(b *testing.B) {
	key := newKey(b, "b")
	h, err := federation.SignRequest(key, "origin.example", "dest.example", "PUT", benchURI, benchBody)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		a, err := federation.ParseAuthorization(h)
		if err != nil {
			b.Fatal(err)
		}
		if err := federation.VerifyRequest(a, key.Public, "dest.example", "PUT", benchURI, benchBody); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkKeyringCacheHit(b *testing.B) {
	remoteKey := newKey(b, "r")
	remote := federation.NewPublisher("remote.example", remoteKey, nil, 0, nil)
	kr := federation.NewKeyring(federation.KeyringConfig{Fetcher: &publisherFetcher{servers: map[string]*federation.Publisher{"remote.example": remote}}})
	ctx := context.Background()
	now := time.Now().UnixMilli()
	if _, err := kr.RequestKey(ctx, "remote.example", remoteKey.ID); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := kr.VerifyKey(ctx, "remote.example", remoteKey.ID, now); err != nil {
				b.Fatal(err)
			}
		}
	})
}
