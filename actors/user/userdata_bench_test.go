package user

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// BenchmarkClaimOneTimeKey claims keys through the user actor: one command,
// a scan for the first key, a delete and a synced commit per claim.
func BenchmarkClaimOneTimeKey(b *testing.B) {
	d, _ := newTestDirectory(b, Config{})
	c, err := d.Register(benchCtx(b), Registration{Localpart: "alice", PasswordHash: "H", Login: &LoginOptions{}})
	if err != nil {
		b.Fatal(err)
	}
	keys := make(map[string]json.RawMessage, b.N)
	for i := range b.N {
		keys[fmt.Sprintf("signed_curve25519:%08d", i)] = json.RawMessage(`{"key":"k"}`)
	}
	if _, err := d.Do(benchCtx(b), "alice", UploadKeys{DeviceID: c.DeviceID, OneTimeKeys: keys}); err != nil {
		b.Fatal(err)
	}
	want := map[string]string{c.DeviceID: "signed_curve25519"}
	b.ResetTimer()
	for range b.N {
		if _, err := d.Do(benchCtx(b), "alice", ClaimKeys{Want: want}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDeliverToDevice puts one message into one device's inbox per
// iteration, each with its own transaction ID.
func BenchmarkDeliverToDevice(b *testing.B) {
	d, _ := newTestDirectory(b, Config{})
	c, err := d.Register(benchCtx(b), Registration{Localpart: "bob", PasswordHash: "H", Login: &LoginOptions{}})
	if err != nil {
		b.Fatal(err)
	}
	msgs := map[string]json.RawMessage{c.DeviceID: json.RawMessage(`{"algorithm":"m.olm.v1.curve25519-aes-sha2","ciphertext":{}}`)}
	i := 0
	for b.Loop() {
		i++
		if _, err := d.Do(benchCtx(b), "bob", DeliverToDevice{Sender: "@alice:hs", SenderDevice: "A", TxnID: fmt.Sprint(i), Type: "m.room.encrypted", Messages: msgs}); err != nil {
			b.Fatal(err)
		}
	}
}

func benchCtx(b *testing.B) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	b.Cleanup(cancel)
	return c
}
