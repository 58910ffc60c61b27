package e2ee

import (
	"context"
	"sync"
	"time"
)

// askServers sends each server its request, all at once, within timeout
// together, and hands every answer to merge; merge and the failures map
// are touched under one lock. A server that errs or has not answered by
// the deadline is logged as what and listed in failures
// (client-server-api "Querying keys" and "Claiming one-time keys":
// failures).
func askServers[Req, Res any](ctx context.Context, s *Service, timeout time.Duration, what string, reqs map[string]Req,
	failures map[string]any, ask func(ctx context.Context, server string, req Req) (Res, error), merge func(req Req, res Res)) {
	if len(reqs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for server, req := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := ask(ctx, server, req)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				s.logFailure(what, server, err)
				failures[server] = failure(ctx, err)
				return
			}
			merge(req, res)
		}()
	}
	wg.Wait()
}
