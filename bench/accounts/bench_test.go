package main

import (
	"cmp"
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
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/axonhs/axon/cmd/axon/homeserver"
	"github.com/axonhs/axon/configs"
	"github.com/axonhs/axon/rooms/signing"
)

// benchConcurrency is the number of requests in flight in the in-process
// benchmarks, as -concurrency is for the program.
const benchConcurrency = 8

const benchPassword = "bench-password-1"

// startAxon runs an in-process homeserver on loopback ports with its data
// in a temporary directory, rate limits off and the given bcrypt cost, and
// returns a client for it. The server stops when the benchmark ends.
func startAxon(b testing.TB, bcryptRounds int) *client {
	b.Helper()
	cfg := configs.Default()
	cfg.DataDir = b.TempDir()
	cfg.Listeners.Client, cfg.Listeners.Federation = "127.0.0.1:0", "127.0.0.1:0"
	cfg.EnableRegistration = true
	cfg.RateLimits.Enabled = false
	cfg.BcryptRounds = bcryptRounds
	cfg.Derive()
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	writeBenchKeys(b, cfg)
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
	c, err := newClient("http://"+srv.ClientAddr(), 2*benchConcurrency)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// axonURL is startAxon's server URL, for the program's own test.
func axonURL(c *client) string { return c.base }

// writeBenchKeys writes the signing key and a throwaway self-signed TLS
// pair homeserver.New expects.
func writeBenchKeys(b testing.TB, cfg *configs.Config) {
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
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
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

// registerUsers creates n users through UIA and logs each in once.
func registerUsers(b *testing.B, c *client, n int) (names, tokens []string) {
	b.Helper()
	names, tokens = make([]string, n), make([]string, n)
	err := parallel(benchConcurrency, n, func(i int) error {
		names[i] = fmt.Sprintf("bench-%d", i)
		if err := c.register(names[i], benchPassword); err != nil {
			return err
		}
		t, err := c.login(names[i], benchPassword)
		tokens[i] = t
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return names, tokens
}

// measure runs op b.N times from benchConcurrency goroutines and reports
// latency percentiles and this process's CPU time per request. Client and
// server share the process, so cpu-µs/op is their sum.
func measure(b *testing.B, op func(i int) error) {
	b.Helper()
	var (
		next      atomic.Int64
		mu        sync.Mutex
		latencies = make([]time.Duration, 0, b.N)
		firstErr  error
		wg        sync.WaitGroup
	)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := selfCPU()
	for range benchConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for {
				i := int(next.Add(1) - 1)
				if i >= b.N {
					break
				}
				t0 := time.Now()
				if err := op(i); err != nil {
					mu.Lock()
					firstErr = cmp.Or(firstErr, err)
					mu.Unlock()
					break
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	cpu := selfCPU() - cpu0
	b.StopTimer()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	slices.Sort(latencies)
	b.ReportMetric(float64(percentile(latencies, 50).Microseconds()), "p50-µs")
	b.ReportMetric(float64(percentile(latencies, 99).Microseconds()), "p99-µs")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
}

// BenchmarkLogin measures POST /login (m.login.password) over loopback HTTP
// at bcrypt cost 4 (bcrypt's minimum: the server's own cost) and 12
// (Synapse's default bcrypt_rounds: what production pays).
func BenchmarkLogin(b *testing.B) {
	for _, rounds := range []int{4, configs.DefaultBcryptRounds} {
		b.Run(fmt.Sprintf("bcrypt=%d", rounds), func(b *testing.B) {
			c := startAxon(b, rounds)
			names, _ := registerUsers(b, c, 4)
			measure(b, func(i int) error {
				_, err := c.login(names[i%len(names)], benchPassword)
				return err
			})
		})
	}
}

// BenchmarkWhoami measures GET /account/whoami: access-token resolution
// through the token cache, over loopback HTTP.
func BenchmarkWhoami(b *testing.B) {
	c := startAxon(b, 4)
	names, tokens := registerUsers(b, c, 16)
	measure(b, func(i int) error {
		id, err := c.whoami(tokens[i%len(tokens)])
		if err == nil && id != "@"+names[i%len(names)]+":localhost" {
			err = fmt.Errorf("whoami answered %q for %s", id, names[i%len(names)])
		}
		return err
	})
}
