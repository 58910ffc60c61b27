package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/axonhs/axon/configs"
)

func runGenerateConfig(args []string, io stdio) error {
	fs := flag.NewFlagSet("generate-config", flag.ContinueOnError)
	dir := fs.String("dir", configs.DefaultDataDir, "directory to write homeserver.yaml, signing.key, tls.crt and tls.key into")
	serverName := fs.String("server-name", configs.DefaultServerName, "server name, e.g. example.org")
	client := fs.String("client-listen", configs.DefaultClientListen, "client API listener, host:port")
	federation := fs.String("federation-listen", configs.DefaultFederationListen, "federation listener, host:port")
	toStdout := fs.Bool("stdout", false, "print homeserver.yaml to standard output and write nothing (keys are made on first serve)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: axon generate-config [-dir DIR] [-server-name NAME] [-client-listen ADDR] [-federation-listen ADDR] [-stdout]")
		fmt.Fprintln(fs.Output(), "\nWrites a commented homeserver.yaml with a random registration shared secret;")
		fmt.Fprintln(fs.Output(), "registration is enabled only when the client listener is loopback-only.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, io); err != nil {
		return err
	}

	cfg := configs.Default()
	cfg.ServerName, cfg.DataDir = *serverName, *dir
	cfg.Listeners.Client, cfg.Listeners.Federation = *client, *federation
	cfg.Derive()
	if err := cfg.Validate(); err != nil {
		return err
	}
	params := firstRunParams(cfg)

	if *toStdout {
		var buf bytes.Buffer
		if err := configs.Render(&buf, params); err != nil {
			return err
		}
		_, err := io.out.Write(buf.Bytes())
		return err
	}

	if err := os.MkdirAll(*dir, 0o700); err != nil {
		return err
	}
	path := filepath.Join(*dir, configs.ConfigFileName)
	if err := writeConfigFile(path, params); err != nil {
		return err
	}
	fmt.Fprintf(io.out, "wrote %s\n", path)
	got, err := prepareFiles(cfg, time.Now())
	if err != nil {
		return err
	}
	if got.keyCreated {
		fmt.Fprintf(io.out, "wrote %s (key %s)\n", cfg.SigningKeyPath, got.key.ID)
	} else {
		fmt.Fprintf(io.out, "kept %s (key %s)\n", cfg.SigningKeyPath, got.key.ID)
	}
	if got.certCreated {
		fmt.Fprintf(io.out, "wrote %s and %s (self-signed for %s)\n", cfg.Listeners.TLSCert, cfg.Listeners.TLSKey, cfg.ServerName)
	} else {
		fmt.Fprintf(io.out, "kept %s and %s\n", cfg.Listeners.TLSCert, cfg.Listeners.TLSKey)
	}
	fmt.Fprintf(io.out, "start it with: axon serve -config %s\n", path)
	return nil
}
