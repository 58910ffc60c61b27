package seqlog

import (
	"sync"
	"sync/atomic"
)

// Log holds records of type T by sequence number. It grows by whole
// chunks and never moves a record; it is safe for concurrent use. A
// record's fields are the caller's to synchronise (atomics, typically).
type Log[T any] struct {
	chunkSize int
	prepare   func(chunk []T) // readies a fresh chunk; may be nil

	next   atomic.Int64
	mu     sync.RWMutex
	chunks [][]T
}

// New is an empty log growing by chunkSize records at a time; prepare,
// when not nil, is called on each fresh chunk before any record of it is
// handed out (to give the records slabs of their own, say).
func New[T any](chunkSize int, prepare func(chunk []T)) *Log[T] {
	return &Log[T]{chunkSize: max(1, chunkSize), prepare: prepare}
}

// Add hands out the next number and its zeroed (or prepared) record.
func (l *Log[T]) Add() (int64, *T) {
	seq := l.next.Add(1) - 1
	c := int(seq / int64(l.chunkSize))
	l.mu.Lock()
	for len(l.chunks) <= c {
		chunk := make([]T, l.chunkSize)
		if l.prepare != nil {
			l.prepare(chunk)
		}
		l.chunks = append(l.chunks, chunk)
	}
	rec := &l.chunks[c][seq%int64(l.chunkSize)]
	l.mu.Unlock()
	return seq, rec
}

// Get is the record of seq, or nil for a number not handed out (or handed
// out a moment ago and not yet stored by Add).
func (l *Log[T]) Get(seq int64) *T {
	if seq < 0 || seq >= l.next.Load() {
		return nil
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	c := int(seq / int64(l.chunkSize))
	if c >= len(l.chunks) {
		return nil
	}
	return &l.chunks[c][seq%int64(l.chunkSize)]
}

// Len is the number of records handed out.
func (l *Log[T]) Len() int64 { return l.next.Load() }
