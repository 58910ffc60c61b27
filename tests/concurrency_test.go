package tests

import (
	"fmt"
	"sync"
	"testing"
)

// TestConcurrentClients: many clients at once register, log in and call
// whoami; several race for one name and exactly one gets it.
func TestConcurrentClients(t *testing.T) {
	srv := startServer(t, testConfig(t, tempDir(t)))
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprint("user", i)
			registerUser(t, srv, name, "pw", nil)
			r := call(t, srv, "POST", "/_matrix/client/v3/login", "", map[string]any{"type": "m.login.password", "user": name, "password": "pw"})
			if r.status != 200 {
				t.Errorf("login %s: %d %v", name, r.status, r.body)
				return
			}
			w := call(t, srv, "GET", "/_matrix/client/v3/account/whoami", r.str("access_token"), nil)
			if w.str("user_id") != "@"+name+":localhost" {
				t.Errorf("whoami %s: %v", name, w.body)
			}
		}()
	}
	var mu sync.Mutex
	statuses := map[int]int{}
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			first := call(t, srv, "POST", "/_matrix/client/v3/register", "", map[string]any{"username": "contested", "password": "pw"})
			if first.status != 401 {
				mu.Lock()
				statuses[first.status]++
				mu.Unlock()
				return
			}
			r := call(t, srv, "POST", "/_matrix/client/v3/register", "", map[string]any{"username": "contested", "password": "pw",
				"auth": map[string]any{"type": "m.login.dummy", "session": first.str("session")}})
			if r.status == 400 && r.errcode() != "M_USER_IN_USE" {
				t.Errorf("loser got %v", r.body)
			}
			mu.Lock()
			statuses[r.status]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if statuses[200] != 1 || statuses[200]+statuses[400] != 6 {
		t.Fatalf("contested registration outcomes: %v", statuses)
	}
}
