// Package parallel runs a bounded number of goroutines over an index range,
// the fan-out the bench programs use for set-up (registering users,
// creating rooms, joining). Standard library only.
package parallel

import (
	"sync"
	"sync/atomic"
)

// Do calls f(0..n-1) from up to width goroutines and returns the first
// error; after an error no new index is started.
func Do(width, n int, f func(i int) error) error {
	var (
		next   atomic.Int64
		failed atomic.Bool
		wg     sync.WaitGroup
		once   sync.Once
		first  error
	)
	for range max(1, min(width, n)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					once.Do(func() { first = err })
					failed.Store(true)
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}
