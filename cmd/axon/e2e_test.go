package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildAxon compiles this command into dir once per test.
func buildAxon(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "axon-test-binary")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// cleanEnv is the test's environment without AXON_* variables.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AXON_") {
			env = append(env, kv)
		}
	}
	return env
}

type runningAxon struct {
	cmd    *exec.Cmd
	client string // bound client address
	logs   *bytes.Buffer
	done   chan error
}

// startAxon runs `axon` (serve by default) in dir with JSON logs and
// waits for the "serving" line, which carries the bound addresses.
func startAxon(t *testing.T, bin, dir string, args ...string) *runningAxon {
	t.Helper()
	cmd := exec.Command(bin, append(args, "-log-format", "json")...)
	cmd.Dir, cmd.Env = dir, cleanEnv()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &runningAxon{cmd: cmd, logs: new(bytes.Buffer), done: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Bytes()
			r.logs.Write(append(line, '\n'))
			var rec struct {
				Msg    string `json:"msg"`
				Client string `json:"client"`
			}
			if json.Unmarshal(line, &rec) == nil && rec.Msg == "serving" {
				addr <- rec.Client
			}
		}
		r.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill() // by PID, only if the test failed before stopping it
		}
	})
	select {
	case r.client = <-addr:
		return r
	case err := <-r.done:
		t.Fatalf("axon exited before serving: %v\n%s", err, r.logs)
	case <-time.After(60 * time.Second):
		t.Fatalf("axon did not start serving\n%s", r.logs)
	}
	return nil
}

// stop sends sig to the process and wants a clean exit 0.
func (r *runningAxon) stop(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := r.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-r.done:
		if err != nil {
			t.Fatalf("exit after %v: %v\n%s", sig, err, r.logs)
		}
	case <-time.After(45 * time.Second):
		t.Fatalf("still running 45s after %v\n%s", sig, r.logs)
	}
	if !strings.Contains(r.logs.String(), `"msg":"stopped"`) {
		t.Errorf("no clean stop logged:\n%s", r.logs)
	}
}

func login(t *testing.T, base, user, password string) int {
	t.Helper()
	body := fmt.Sprintf(`{"type":"m.login.password","identifier":{"type":"m.id.user","user":%q},"password":%q}`, user, password)
	resp, err := http.Post(base+"/_matrix/client/v3/login", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// TestZeroSetupServe builds the real binary and runs it as a user would:
// no arguments but free loopback ports, in an empty directory. It checks
// the first-run files, registers a user with `axon register`, logs in,
// stops with SIGTERM (exit 0), restarts on the same data and logs in again,
// then stops with SIGINT.
func TestZeroSetupServe(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := buildAxon(t, t.TempDir())
	ports := []string{"-client-listen", "127.0.0.1:0", "-federation-listen", "127.0.0.1:0"}

	srv := startAxon(t, bin, dir, ports...)
	for _, f := range []string{"homeserver.yaml", "signing.key", "tls.crt", "tls.key", "db"} {
		if _, err := os.Stat(filepath.Join(dir, "axon-data", f)); err != nil {
			t.Errorf("first run did not create axon-data/%s: %v", f, err)
		}
	}
	base := "http://" + srv.client
	resp, err := http.Get(base + "/_matrix/client/versions")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("versions: %v %v", resp, err)
	}
	resp.Body.Close()

	reg := exec.Command(bin, "register", "-config", filepath.Join("axon-data", "homeserver.yaml"),
		"-url", base, "-user", "alice", "-password", "wonderland", "-admin")
	reg.Dir, reg.Env = dir, cleanEnv()
	out, err := reg.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "registered @alice:localhost") {
		t.Fatalf("axon register: %v\n%s", err, out)
	}
	again := exec.Command(bin, "register", "-config", filepath.Join("axon-data", "homeserver.yaml"),
		"-url", base, "-user", "alice", "-password", "other")
	again.Dir, again.Env = dir, cleanEnv()
	out, err = again.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(string(out), "M_USER_IN_USE") {
		t.Errorf("registering a taken name: %v\n%s", err, out)
	}

	if code := login(t, base, "alice", "wonderland"); code != http.StatusOK {
		t.Fatalf("login: %d", code)
	}
	srv.stop(t, syscall.SIGTERM)

	srv = startAxon(t, bin, dir, ports...)
	if strings.Contains(srv.logs.String(), "first run") {
		t.Error("second start wrote a new config")
	}
	base = "http://" + srv.client
	if code := login(t, base, "alice", "wonderland"); code != http.StatusOK {
		t.Errorf("login after restart: %d", code)
	}
	if code := login(t, base, "alice", "wrong"); code != http.StatusForbidden {
		t.Errorf("wrong password after restart: %d", code)
	}
	srv.stop(t, syscall.SIGINT)
}

// A bad configuration stops the binary with exit 1 and a message naming
// the key.
func TestServeRejectsBadConfig(t *testing.T) {
	dir := t.TempDir()
	path := writeTestConfig(t, dir, "server_name: example.org\nlisteners:\n  clinet: \"127.0.0.1:0\"\n")
	code, _, stderr := runCapture(t, "", "serve", "-config", path)
	if code != 1 || !strings.Contains(stderr, "listeners.clinet (line 3)") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runCapture(t, "", "-config", filepath.Join(dir, "missing.yaml"))
	if code != 1 || !strings.Contains(stderr, "missing.yaml") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
