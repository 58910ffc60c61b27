package server

import (
	"math/rand/v2"
	"time"
)

// backoff is the delay before the next attempt after failures consecutive
// failures: base·2^(failures−1), capped, then scaled by a random factor in
// [0.5, 1.5) so that many senders that failed together do not retry
// together.
func backoff(failures int, base, limit time.Duration, jitter func() float64) time.Duration {
	if failures <= 0 {
		return 0
	}
	d := base
	for i := 1; i < failures && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	return time.Duration(float64(d) * (0.5 + jitter()))
}

func defaultJitter() float64 { return rand.Float64() }
