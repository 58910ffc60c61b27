package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/axonhs/axon/cmd/axon/homeserver"
	"github.com/axonhs/axon/configs"
	"github.com/axonhs/axon/rooms/signing"
)

// startAxon runs an in-process homeserver on loopback with its data in a
// temporary directory (fsync on every commit, as in production) and rate
// limits off.
func startAxon(b testing.TB) string {
	b.Helper()
	cfg := configs.Default()
	cfg.DataDir = b.TempDir()
	cfg.Listeners.Client, cfg.Listeners.Federation = "127.0.0.1:0", "127.0.0.1:0"
	cfg.EnableRegistration = true
	cfg.RateLimits.Enabled = false
	cfg.BcryptRounds = 4
	cfg.Derive()
	writeKeys(b, cfg)
	srv, err := homeserver.New(cfg, zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			b.Error(err)
		}
	})
	return "http://" + srv.ClientAddr()
}

func writeKeys(b testing.TB, cfg *configs.Config) {
	b.Helper()
	k, err := signing.GenerateKey("bench")
	if err != nil {
		b.Fatal(err)
	}
	f, err := os.Create(cfg.SigningKeyPath)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := signing.WriteKeyFile(f, k); err != nil {
		b.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		b.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(cfg.Listeners.TLSCert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(cfg.Listeners.TLSKey, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSend measures durable sends (each answered only after its
// batch's fsync) over loopback HTTP, into one room and over 100 rooms, with
// 1, 16 and 64 concurrent senders. Client and server share the process, so
// cpu-µs/op is their sum; load1 is the machine's load average before the
// run (the machine is shared).
func BenchmarkSend(b *testing.B) {
	for _, rooms := range []int{1, 100} {
		for _, senders := range []int{1, 16, 64} {
			b.Run(fmt.Sprintf("rooms=%d/senders=%d", rooms, senders), func(b *testing.B) {
				c, err := newClient(startAxon(b), senders)
				if err != nil {
					b.Fatal(err)
				}
				s, err := prepare(c, "bench", senders, rooms)
				if err != nil {
					b.Fatal(err)
				}
				load, _ := strconv.ParseFloat(loadAverage(), 64)
				b.ResetTimer()
				r, err := run(c, s, b.N, time.Hour, selfCPU)
				b.StopTimer()
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(r.perSecond(), "sends/s")
				b.ReportMetric(float64(r.p50.Microseconds()), "p50-µs")
				b.ReportMetric(float64(r.p99.Microseconds()), "p99-µs")
				b.ReportMetric(float64(r.cpu.Microseconds())/float64(b.N), "cpu-µs/op")
				b.ReportMetric(load, "load1")
			})
		}
	}
}

// TestSendLoad runs the program's load loop against an in-process server
// briefly and checks every send got a distinct event ID path through.
func TestSendLoad(t *testing.T) {
	c, err := newClient(startAxon(t), 4)
	if err != nil {
		t.Fatal(err)
	}
	s, err := prepare(c, "loadtest", 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	r, err := run(c, s, 60, time.Minute, selfCPU)
	if err != nil {
		t.Fatal(err)
	}
	if r.sends != 60 || r.p99 < r.p50 || r.p50 <= 0 {
		t.Fatalf("result %+v", r)
	}
}
