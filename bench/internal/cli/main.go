package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
)

// Exit statuses of the programs.
const (
	ExitFailed  = 1 // the run failed or was interrupted
	ExitOptions = 2 // the flags cannot be run with
)

// Main calls run with a context that Ctrl-C cancels; an error is printed
// and ends the program with ExitFailed. run writes the program's outputs
// itself, whatever the outcome.
func Main(run func(ctx context.Context) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		stop()
		os.Exit(ExitFailed)
	}
}

// Refuse prints err and ends the program with ExitOptions.
func Refuse(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(ExitOptions)
}
