package server

import "sync"

// workTracker counts the goroutines that use the store, so Stop can wait
// for them; once closed it refuses new work (a sync.WaitGroup may not be
// added to while it is being waited on from zero).
type workTracker struct {
	mu     sync.Mutex
	cond   *sync.Cond
	n      int
	closed bool
}

// begin registers a goroutine; false means the directory is stopping.
func (w *workTracker) begin() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return false
	}
	w.n++
	return true
}

func (w *workTracker) end() {
	w.mu.Lock()
	w.n--
	if w.n == 0 && w.cond != nil {
		w.cond.Broadcast()
	}
	w.mu.Unlock()
}

// closeAndWait refuses new work and waits for the running goroutines.
func (w *workTracker) closeAndWait() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	if w.cond == nil {
		w.cond = sync.NewCond(&w.mu)
	}
	for w.n > 0 {
		w.cond.Wait()
	}
}
