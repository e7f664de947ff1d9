package e2e

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/goleak"

	"github.com/holdslayer/holdslayer/app"
	"github.com/holdslayer/holdslayer/app/clock"
	"github.com/holdslayer/holdslayer/ari"
	"github.com/holdslayer/holdslayer/ari/aritest"
	hsservice "github.com/holdslayer/holdslayer/internal/service"
)

// uiToken is the API token of the dashboard and MCP tests: the service behind them requires it,
// as a service reachable by a browser or an assistant should.
const uiToken = "e2e-ui-token"

// newTokenEnv is newEnv with the service requiring an API token: the same accelerated clock,
// simulated Asterisk (the test companies and phoneRobert), real SQLite file and loopback HTTP,
// wired by internal/service. Its client sends the token with every REST request. At cleanup it
// stops both and checks that no Asterisk resource and no goroutine is left.
func newTokenEnv(t *testing.T, token string) *env {
	t.Helper()
	leaks := goleak.IgnoreCurrent()
	t.Cleanup(func() {
		if !t.Failed() {
			goleak.VerifyNone(t, leaks)
		}
	})
	e := &env{t: t, clk: clock.NewScaled(speed), dir: t.TempDir(), logs: &syncBuffer{}}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("service and simulator log:\n%s", e.logs.String())
		}
	})
	sim, err := aritest.New(aritest.Options{
		Clock: e.clk, Scenarios: companies(),
		Devices:   map[string]aritest.DeviceBehavior{phoneRobert: {Mode: aritest.DeviceAnswers, Rings: 1, Greeting: "Hello?"}},
		SoundsDir: soundsDir(t), Log: e.log("simulated-asterisk"),
	})
	if err != nil {
		t.Fatalf("start simulated asterisk: %v", err)
	}
	e.sim = sim
	t.Cleanup(func() {
		if !e.stopped {
			deadline := time.Now().Add(3 * time.Second)
			for ch, br := sim.Live(); ch+br > 0; ch, br = sim.Live() {
				if time.Now().After(deadline) {
					t.Errorf("asterisk resources left after the calls ended: %d channels, %d bridges", ch, br)
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			e.stop()
		}
		if ch, br := sim.Live(); ch != 0 || br != 0 {
			t.Errorf("asterisk resources left after the service stopped: %d channels, %d bridges", ch, br)
		}
		_ = sim.Close()
	})

	conf := hsservice.Config{Listen: "127.0.0.1:0", DataDir: e.dir, DB: filepath.Join(e.dir, "holdslayer.db"),
		RecordingsDir: filepath.Join(e.dir, "recordings"), APIToken: token,
		ARIURL: sim.URL(), ARIUser: "holdslayer", ARIPassword: "holdslayer", ARIApp: "holdslayer",
		DialTemplate: app.DefaultDialTemplate, MediaHost: ari.DefaultMediaHost, MaxCalls: 10, HomeCountry: "1",
		STTModel: "whisper-1", LiveCheck: true, ShutdownWaitMS: 10000}
	gin.SetMode(gin.ReleaseMode)
	svc, err := hsservice.New(context.Background(), conf, e.log("service"), hsservice.Options{Clock: e.clk, STTBaseURL: sim.STTBaseURL()})
	if err != nil {
		t.Fatalf("start service: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		svc.Close()
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	s := &service{svc: svc, ln: ln, cancel: cancel, served: make(chan error, 1)}
	go func() { s.served <- svc.Run(runCtx, ln) }()
	e.svc = s

	tr := &http.Transport{}
	e.client = &client{base: s.URL(), tr: tr, http: &http.Client{Transport: bearer{token: token, next: tr}, Timeout: 20 * time.Second}}
	e.client.waitReady(t, 10*time.Second)
	return e
}

// bearer adds the API token to every request of an HTTP client.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

// artifacts is where a test's screenshots go: $HOLDSLAYER_ARTIFACTS_DIR/<name> when set (CI
// keeps it), else a temporary directory. Never inside the repository.
func artifacts(t *testing.T, name string) string {
	t.Helper()
	if d := os.Getenv("HOLDSLAYER_ARTIFACTS_DIR"); d != "" {
		dir := filepath.Join(d, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatalf("artifacts dir: %v", err)
		}
		return dir
	}
	return t.TempDir()
}

// chromium finds Debian's chromium, or skips the test saying how to get it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("chromium not found: install Debian's chromium package (apt-get install chromium) to run the dashboard browser test")
	return ""
}
