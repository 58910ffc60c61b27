package report

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Progress prints a status line while a run goes on: on a terminal it
// rewrites one line every second; elsewhere (a file, a pipe, CI) it prints
// a plain line every plainEvery.
type Progress struct {
	out    io.Writer
	tty    bool
	status func() string
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
}

// IsTerminal reports whether w is a character device (a terminal), looking
// through writers that wrap another (an Unwrap() io.Writer method).
func IsTerminal(w io.Writer) bool {
	if u, ok := w.(interface{ Unwrap() io.Writer }); ok {
		return IsTerminal(u.Unwrap())
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// StartProgress prints status() to out until Stop.
func StartProgress(out io.Writer, plainEvery time.Duration, status func() string) *Progress {
	p := &Progress{out: out, tty: IsTerminal(out), status: status, stop: make(chan struct{}), done: make(chan struct{})}
	every := plainEvery
	if p.tty || every <= 0 {
		every = time.Second
	}
	go p.loop(every)
	return p
}

func (p *Progress) loop(every time.Duration) {
	defer close(p.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			if p.tty {
				fmt.Fprint(p.out, "\r\033[K")
			}
			return
		case <-t.C:
			if p.tty {
				fmt.Fprint(p.out, "\r\033[K"+p.status())
			} else {
				fmt.Fprintln(p.out, p.status())
			}
		}
	}
}

// Stop ends the progress line; it may be called more than once.
func (p *Progress) Stop() {
	p.once.Do(func() { close(p.stop) })
	<-p.done
}

// Dur formats a duration for people: µs below a millisecond, ms below a
// second, seconds above; "n/a" when negative.
func Dur(d time.Duration) string {
	switch {
	case d < 0:
		return "n/a"
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}

// Ms formats a millisecond figure as Dur does.
func Ms(v float64) string { return Dur(time.Duration(v * float64(time.Millisecond))) }
