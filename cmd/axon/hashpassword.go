package main

import (
	"flag"
	"fmt"

	"github.com/axonhs/axon/configs"
	"golang.org/x/crypto/bcrypt"
)

// runHashPassword prints the bcrypt hash of a password, like Synapse's
// hash_password: -password, else a prompt (twice) on a terminal, else a
// line of standard input. The cost is -cost, else bcrypt_rounds of
// -config, else 12.
func runHashPassword(args []string, io stdio) error {
	fs := flag.NewFlagSet("hash-password", flag.ContinueOnError)
	password := fs.String("password", "", "password to hash (default: prompt, or read a line of standard input)")
	cost := fs.Int("cost", 0, fmt.Sprintf("bcrypt cost, %d to %d (default: bcrypt_rounds of -config, else %d)", bcrypt.MinCost, bcrypt.MaxCost, configs.DefaultBcryptRounds))
	configPath := fs.String("config", "", "homeserver.yaml to read bcrypt_rounds from")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: axon hash-password [-password P] [-cost N] [-config FILE]")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, io); err != nil {
		return err
	}
	rounds := configs.DefaultBcryptRounds
	if *configPath != "" {
		cfg, err := configs.Sources{File: *configPath}.Load()
		if err != nil {
			return err
		}
		rounds = cfg.BcryptRounds
	}
	if *cost != 0 {
		if *cost < bcrypt.MinCost || *cost > bcrypt.MaxCost {
			return fmt.Errorf("-cost %d is outside %d to %d", *cost, bcrypt.MinCost, bcrypt.MaxCost)
		}
		rounds = *cost
	}
	pw := *password
	if pw == "" {
		var err error
		if pw, err = readPassword(io.in, io.err); err != nil {
			return err
		}
	}
	h, err := hashPassword(pw, rounds)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(io.out, h)
	return err
}
