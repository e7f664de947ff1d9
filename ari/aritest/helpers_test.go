package aritest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/holdslayer/holdslayer/app/clock"
)

// target is an ARI server under test: the simulation, or a real Asterisk when
// HOLDSLAYER_TEST_ARI_URL (and _USER/_PASSWORD) are set for contract tests.
type target struct {
	base, user, pass string
	sim              *Server
}

func newSim(t *testing.T, opts Options) *Server {
	t.Helper()
	if opts.SoundsDir == "" {
		opts.SoundsDir = soundsDir(t)
	}
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// sharedSounds is one espeak-ng cache for the whole test binary, so each prompt is spoken
// once; TestMain removes it, or every run of these tests would leave it behind in /tmp.
var sharedSounds string

func TestMain(m *testing.M) {
	d, err := os.MkdirTemp("", "aritest-test-sounds-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "sounds cache:", err)
		os.Exit(1)
	}
	sharedSounds = d
	code := m.Run()
	_ = os.RemoveAll(d)
	os.Exit(code)
}

func soundsDir(*testing.T) string { return sharedSounds }

// contractTarget is the real Asterisk if configured, else a fresh simulation.
func contractTarget(t *testing.T, opts Options) *target {
	t.Helper()
	if u := os.Getenv("HOLDSLAYER_TEST_ARI_URL"); u != "" {
		return &target{base: strings.TrimSuffix(u, "/"), user: os.Getenv("HOLDSLAYER_TEST_ARI_USER"), pass: os.Getenv("HOLDSLAYER_TEST_ARI_PASSWORD")}
	}
	t.Log("HOLDSLAYER_TEST_ARI_URL not set: contract test runs against the simulation only (real Asterisk skipped)")
	s := newSim(t, opts)
	return &target{base: s.URL(), user: "holdslayer", pass: "holdslayer", sim: s}
}

func simOnly(t *testing.T, tg *target) {
	if tg.sim == nil {
		t.Skip("needs the simulation's own hooks")
	}
}

type resp struct {
	status int
	body   []byte
}

func (r resp) obj(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	return m
}

func (r resp) list(t *testing.T) []map[string]any {
	t.Helper()
	var m []map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	return m
}

func (tg *target) do(t *testing.T, method, path string, q url.Values, body string) resp {
	t.Helper()
	u := tg.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if tg.user != "" {
		req.SetBasicAuth(tg.user, tg.pass)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, body: b}
}

func qv(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// events is an events WebSocket collecting everything it receives.
type events struct {
	conn   *websocket.Conn
	mu     sync.Mutex
	got    []map[string]any
	closed chan error
}

func (tg *target) ws(t *testing.T, app string) *events {
	t.Helper()
	u := strings.Replace(tg.base, "http", "ws", 1) + "/events?" + qv("app", app, "subscribeAll", "false", "api_key", tg.user+":"+tg.pass).Encode()
	conn, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatalf("dial events: %v", err)
	}
	e := &events{conn: conn, closed: make(chan error, 1)}
	go func() {
		for {
			_, b, err := conn.ReadMessage()
			if err != nil {
				e.closed <- err
				return
			}
			var m map[string]any
			if json.Unmarshal(b, &m) == nil {
				e.mu.Lock()
				e.got = append(e.got, m)
				e.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { _ = conn.Close() })
	return e
}

// waitFor waits (real time) for an event matching pred and returns it.
func (e *events) waitFor(t *testing.T, d time.Duration, what string, pred func(m map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		e.mu.Lock()
		for _, m := range e.got {
			if pred(m) {
				e.mu.Unlock()
				return m
			}
		}
		e.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s; got %v", what, e.types(nil))
	return nil
}

func isEv(typ, chanID string) func(m map[string]any) bool {
	return func(m map[string]any) bool {
		if m["type"] != typ {
			return false
		}
		if chanID == "" {
			return true
		}
		return evChan(m) == chanID
	}
}

func evChan(m map[string]any) string {
	if c, ok := m["channel"].(map[string]any); ok {
		id, _ := c["id"].(string)
		return id
	}
	if p, ok := m["peer"].(map[string]any); ok {
		id, _ := p["id"].(string)
		return id
	}
	return ""
}

// types lists event types (for one channel id, or all with nil) in arrival order.
func (e *events) types(filter func(m map[string]any) bool) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, m := range e.got {
		if filter == nil || filter(m) {
			out = append(out, m["type"].(string))
		}
	}
	return out
}

func (e *events) forChan(id string) []string {
	return e.types(func(m map[string]any) bool { return evChan(m) == id })
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func fastClock() clock.Clock { return clock.NewScaled(10) }

func isClose1006(err error) bool {
	return websocket.IsCloseError(err, websocket.CloseAbnormalClosure) || (err != nil && strings.Contains(err.Error(), "1006"))
}

func statusOrZero(u string) int {
	req, _ := http.NewRequest("GET", u, nil)
	req.SetBasicAuth("holdslayer", "holdslayer")
	c := &http.Client{Timeout: time.Second}
	res, err := c.Do(req)
	if err != nil {
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}
