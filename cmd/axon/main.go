package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr}))
}

// stdio are the streams a command uses, so tests can supply their own.
type stdio struct {
	in  io.Reader
	out io.Writer
	err io.Writer
}

type command struct {
	name    string
	summary string
	run     func(args []string, io stdio) error
}

var commands = []command{
	{"serve", "run the homeserver (the default)", runServe},
	{"generate-config", "write homeserver.yaml, a signing key and a TLS certificate", runGenerateConfig},
	{"hash-password", "print the bcrypt hash of a password", runHashPassword},
	{"register", "create a user on a running server with the shared secret", runRegister},
}

// errUsage marks a command-line mistake; the message has been printed with
// the usage text already.
var errUsage = errors.New("axon: usage")

// run dispatches to a subcommand and returns the exit status. With no
// subcommand, or when the first argument is a flag, it serves.
func run(args []string, io stdio) int {
	name, rest := "serve", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, rest = args[0], args[1:]
	}
	if name == "help" {
		usage(io.out)
		return 0
	}
	for _, c := range commands {
		if c.name == name {
			err := c.run(rest, io)
			switch {
			case err == nil, errors.Is(err, flag.ErrHelp):
				return 0
			case errors.Is(err, errUsage):
				return 2
			}
			fmt.Fprintf(io.err, "axon %s: %s\n", name, strings.TrimPrefix(err.Error(), "axon: "))
			return 1
		}
	}
	fmt.Fprintf(io.err, "axon: unknown command %q\n\n", name)
	usage(io.err)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: axon [command] [flags]")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-16s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\n`axon COMMAND -h` lists the flags of a command.")
}

// parseFlags parses args into fs, printing errors and usage to io.err.
func parseFlags(fs *flag.FlagSet, args []string, io stdio) error {
	fs.SetOutput(io.err)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(io.err, "unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	return nil
}
