package tests

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/axonhs/axon/configs"
)

// axonProcess is an Axon server running as a child process, so that it can
// be killed without any chance to drain or close its store.
type axonProcess struct {
	cmd    *exec.Cmd
	client string
	done   chan error
	killed sync.Once
	mu     sync.Mutex
	logs   bytes.Buffer
}

// buildAxonBinary compiles cmd/axon into the test's temporary directory
// (the same plain build cmd/axon's own end-to-end test makes, so it comes
// from the build cache).
func buildAxonBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "axon")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/axonhs/axon/cmd/axon").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// writeYAML writes cfg as the homeserver.yaml of a child process: the keys
// the federating test servers set, everything else at its default.
func writeYAML(t *testing.T, cfg *configs.Config, clientAddr string) string {
	t.Helper()
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) } // a JSON string is a YAML string
	var b strings.Builder
	fmt.Fprintf(&b, "server_name: %s\ndata_dir: %s\n", q(cfg.ServerName), q(cfg.DataDir))
	fmt.Fprintf(&b, "listeners:\n  client: %s\n  federation: %s\n  tls_certificate_path: %s\n  tls_private_key_path: %s\n",
		q(clientAddr), q(cfg.Listeners.Federation), q(cfg.Listeners.TLSCert), q(cfg.Listeners.TLSKey))
	fmt.Fprintf(&b, "database:\n  path: %s\nsigning_key_path: %s\n", q(cfg.Database.Path), q(cfg.SigningKeyPath))
	fmt.Fprintf(&b, "enable_registration: true\nbcrypt_rounds: %d\nrate_limits:\n  enabled: false\n", cfg.BcryptRounds)
	fmt.Fprintf(&b, "federation_addresses_only: true\nfederation_ca_file: %s\nfederation_addresses:\n", q(cfg.FederationCAFile))
	for name, addr := range cfg.FederationAddresses {
		fmt.Fprintf(&b, "  %s: %s\n", q(name), q(addr))
	}
	path := filepath.Join(t.TempDir(), "homeserver.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// startAxonProcess runs the binary on cfg's data directory and federation
// address and waits until it serves. The process is killed, by its PID,
// when the test ends if it still runs.
func startAxonProcess(t *testing.T, bin string, cfg *configs.Config) *axonProcess {
	t.Helper()
	clientAddr := freeAddr(t)
	cmd := exec.Command(bin, "serve", "-config", writeYAML(t, cfg, clientAddr), "-log-format", "json", "-log-level", "info")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AXON_") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &axonProcess{cmd: cmd, client: "http://" + clientAddr, done: make(chan error, 1)}
	serving := make(chan struct{}, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.logs.Write(append(sc.Bytes(), '\n'))
			p.mu.Unlock()
			if bytes.Contains(sc.Bytes(), []byte(`"msg":"serving"`)) {
				select {
				case serving <- struct{}{}:
				default:
				}
			}
		}
		p.done <- cmd.Wait()
	}()
	t.Cleanup(p.kill)
	select {
	case <-serving:
		return p
	case err := <-p.done:
		t.Fatalf("axon exited before serving: %v\n%s", err, p.logText())
	case <-time.After(30 * time.Second):
		t.Fatalf("axon did not start serving\n%s", p.logText())
	}
	return nil
}

func (p *axonProcess) logText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

// kill ends the process with SIGKILL: no drain, no store close, requests
// in flight cut.
func (p *axonProcess) kill() {
	p.killed.Do(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
	})
}

// sendText sends a message as the owner of token through the client API
// at base and returns its event ID; it is safe to call from a goroutine.
func sendText(base, token, roomID, txn, body string) (string, error) {
	b, _ := json.Marshal(map[string]any{"msgtype": "m.text", "body": body})
	req, err := http.NewRequest("PUT", base+"/_matrix/client/v3/rooms/"+url.PathEscape(roomID)+"/send/m.room.message/"+txn, bytes.NewReader(b))
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	cli := http.Client{Timeout: 10 * time.Second}
	resp, err := cli.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		EventID string `json:"event_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
		return "", fmt.Errorf("send: %d %v", resp.StatusCode, err)
	}
	return out.EventID, nil
}

// C runs as a process of its own while all three talk at once; it is
// killed (SIGKILL) in the middle of the conversation, A and B go on, and C
// starts again on the same data. Every message any server acknowledged,
// C's included, ends up on all three, and they agree on the state.
func TestFederationOutageKilled(t *testing.T) {
	bin := buildAxonBinary(t)
	tr, cfgs := newRestartableTrio(t)
	r := newConvergeRoom(t, tr, "12", nil)
	r.sayAndWait(alice, "before", "before the crash", bob, carol)
	stopServer(t, tr.srv["hs-c.test"])
	proc := startAxonProcess(t, bin, cfgs["hs-c.test"])

	var mu sync.Mutex
	acked := map[string][]string{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	talk := func(uid, base string) {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			evID, err := sendText(base, tr.token[uid], r.roomID, fmt.Sprintf("crash-%d", i), fmt.Sprintf("%s %d", uid, i))
			if err != nil {
				continue // the process may be gone already
			}
			mu.Lock()
			acked[uid] = append(acked[uid], evID)
			mu.Unlock()
		}
	}
	wg.Add(3)
	go talk(alice, "http://"+tr.srv["hs-a.test"].ClientAddr())
	go talk(bob, "http://"+tr.srv["hs-b.test"].ClientAddr())
	go talk(carol, proc.client)
	waitFor(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(acked[carol]) >= 8 && len(acked[alice]) >= 4 && len(acked[bob]) >= 4
	}, "all three talking")
	proc.kill()
	mu.Lock()
	na, nb := len(acked[alice]), len(acked[bob])
	mu.Unlock()
	waitFor(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(acked[alice]) >= na+3 && len(acked[bob]) >= nb+3
	}, "A and B talking on while C is dead")
	close(stop)
	wg.Wait()

	tr.srv["hs-c.test"] = startServer(t, cfgs["hs-c.test"])
	var want []string
	for _, ids := range acked {
		want = append(want, ids...)
	}
	waitShow(t, func() bool {
		for _, u := range viewers {
			h := r.historyIDs(u)
			for _, evID := range want {
				if !slices.Contains(h, evID) {
					return false
				}
			}
		}
		return true
	}, "every acknowledged message on every server", func() string {
		var out []string
		for _, u := range viewers {
			h := r.historyIDs(u)
			var lacks []string
			for _, evID := range want {
				if !slices.Contains(h, evID) {
					lacks = append(lacks, evID)
				}
			}
			out = append(out, fmt.Sprintf("%s lacks %v", u, lacks))
		}
		return strings.Join(out, "; ") + "\nC's log before the kill:\n" + proc.logText()
	})
	agreed := r.waitSameState()
	r.checkResolved(agreed)
}
