package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/axonhs/axon/configs"
)

var (
	errNoSharedSecret = errors.New("axon: no shared secret: pass -shared-secret, or -config with registration_shared_secret set")
	errNoUser         = errors.New("axon: -user is required")
	errServerRefused  = errors.New("axon: server refused")
)

// sharedSecretPath is Synapse's shared-secret registration endpoint, which
// Axon serves for compatibility with existing tools.
const sharedSecretPath = "/_synapse/admin/v1/register"

// registrationMAC is the hex HMAC-SHA1, keyed with the shared secret, of
// nonce NUL user NUL password NUL "admin" or "notadmin": the MAC of
// Synapse's shared-secret registration.
func registrationMAC(secret, nonce, user, password string, admin bool) string {
	m := hmac.New(sha1.New, []byte(secret))
	role := "notadmin"
	if admin {
		role = "admin"
	}
	for i, part := range []string{nonce, user, password, role} {
		if i > 0 {
			m.Write([]byte{0})
		}
		m.Write([]byte(part))
	}
	return hex.EncodeToString(m.Sum(nil))
}

// clientURL turns a client listener into the URL to reach it from this
// machine: a wildcard or empty host becomes the loopback address.
func clientURL(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "http://" + listen
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

type registerRequest struct {
	Nonce    string `json:"nonce"`
	Username string `json:"username"`
	Password string `json:"password"`
	Admin    bool   `json:"admin"`
	MAC      string `json:"mac"`
}

type matrixError struct {
	ErrCode string `json:"errcode"`
	Error   string `json:"error"`
}

// sharedSecretRegister creates user on the server at baseURL: it fetches a
// nonce, then posts the user with the MAC. It returns the new user ID.
func sharedSecretRegister(ctx context.Context, client *http.Client, baseURL, secret, user, password string, admin bool) (string, error) {
	endpoint := strings.TrimRight(baseURL, "/") + sharedSecretPath
	var nonce struct {
		Nonce string `json:"nonce"`
	}
	if err := call(ctx, client, http.MethodGet, endpoint, nil, &nonce); err != nil {
		return "", err
	}
	if nonce.Nonce == "" {
		return "", fmt.Errorf("%w: GET %s returned no nonce", errServerRefused, endpoint)
	}
	body, err := json.Marshal(registerRequest{
		Nonce:    nonce.Nonce,
		Username: user,
		Password: password,
		Admin:    admin,
		MAC:      registrationMAC(secret, nonce.Nonce, user, password, admin),
	})
	if err != nil {
		return "", err
	}
	var created struct {
		UserID string `json:"user_id"`
	}
	if err := call(ctx, client, http.MethodPost, endpoint, body, &created); err != nil {
		return "", err
	}
	return created.UserID, nil
}

// call does one JSON request; a non-200 answer becomes an error carrying
// the Matrix errcode and message.
func call(ctx context.Context, client *http.Client, method, url string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach %s (is the server running?): %w", url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("%s %s: reading answer: %w", method, url, err)
	}
	if resp.StatusCode != http.StatusOK {
		var me matrixError
		if json.Unmarshal(data, &me) == nil && me.ErrCode != "" {
			return fmt.Errorf("%w: %s %s: %d %s: %s", errServerRefused, method, url, resp.StatusCode, me.ErrCode, me.Error)
		}
		return fmt.Errorf("%w: %s %s: %s", errServerRefused, method, url, resp.Status)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: answer is not the expected JSON: %w", method, url, err)
	}
	return nil
}

func runRegister(args []string, io stdio) error {
	fs := flag.NewFlagSet("register", flag.ContinueOnError)
	user := fs.String("user", "", "localpart of the new user (required unless prompted on a terminal)")
	password := fs.String("password", "", "password (default: prompt, or read a line of standard input)")
	admin := fs.Bool("admin", false, "make the user a server admin")
	url := fs.String("url", "", "client API base URL (default: from -config, else http://127.0.0.1:8008)")
	secret := fs.String("shared-secret", "", "registration_shared_secret of the server (default: from -config)")
	configPath := fs.String("config", "", "homeserver.yaml to read registration_shared_secret and the client listener from")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: axon register -user NAME [-password P] [-admin] [-url URL] (-shared-secret S | -config FILE)")
		fmt.Fprintln(fs.Output(), "\nCreates a user on a running server through shared-secret registration.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, io); err != nil {
		return err
	}
	base := clientURL(configs.DefaultClientListen)
	if *configPath != "" {
		cfg, err := configs.Sources{File: *configPath, LookupEnv: os.LookupEnv}.Load()
		if err != nil {
			return err
		}
		base = clientURL(cfg.Listeners.Client)
		if *secret == "" {
			*secret = cfg.RegistrationSharedSecret
		}
	}
	if *url != "" {
		base = *url
	}
	if *secret == "" {
		return errNoSharedSecret
	}
	if *user == "" {
		f, ok := io.in.(*os.File)
		if !ok || !isTerminal(f) {
			return errNoUser
		}
		fmt.Fprint(io.err, "New user localpart: ")
		line, err := bufio.NewReader(f).ReadString('\n')
		if err != nil {
			return fmt.Errorf("reading user: %w", err)
		}
		if *user = strings.TrimSpace(line); *user == "" {
			return errNoUser
		}
	}
	if *password == "" {
		var err error
		if *password, err = readPassword(io.in, io.err); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	userID, err := sharedSecretRegister(ctx, &http.Client{}, base, *secret, *user, *password, *admin)
	if err != nil {
		return err
	}
	fmt.Fprintf(io.out, "registered %s\n", userID)
	return nil
}
