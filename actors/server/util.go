package server

import (
	"context"
	"strconv"
	"time"
)

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

func contextWithTimeout(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(parent, d)
}
