package user

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkResolve compares access-token resolution served by the cache
// with resolution that misses it every time and reads Pebble.
func BenchmarkResolve(b *testing.B) {
	for _, v := range []struct {
		name      string
		cacheSize int
	}{{"cached", 1024}, {"pebble", 1}} {
		b.Run(v.name, func(b *testing.B) {
			d, _ := newTestDirectory(b, Config{CacheSize: v.cacheSize})
			var toks []string
			for i := range 64 {
				c, err := d.Register(context.Background(), Registration{Localpart: fmt.Sprint("u", i), Login: &LoginOptions{}})
				if err != nil {
					b.Fatal(err)
				}
				toks = append(toks, c.AccessToken)
			}
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				if _, err := d.Resolve(toks[i%len(toks)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCommand measures one command round trip through shard and user
// actor, including its Pebble batch commit with fsync.
func BenchmarkCommand(b *testing.B) {
	d, _ := newTestDirectory(b, Config{})
	ctx := context.Background()
	c, err := d.Register(ctx, Registration{Localpart: "bench", Login: &LoginOptions{}})
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; b.Loop(); i++ {
		if _, err := d.Do(ctx, "bench", RenameDevice{DeviceID: c.DeviceID, DisplayName: fmt.Sprint(i)}); err != nil {
			b.Fatal(err)
		}
	}
}
