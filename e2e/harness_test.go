package e2e

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	hsservice "github.com/holdslayer/holdslayer/internal/service"

	"github.com/gin-gonic/gin"
	"go.uber.org/goleak"

	"github.com/holdslayer/holdslayer/app"
	"github.com/holdslayer/holdslayer/app/clock"
	"github.com/holdslayer/holdslayer/ari"
	"github.com/holdslayer/holdslayer/ari/aritest"
)

// speed is how much faster than real time the shared clock runs: a 24 s hold takes 2.4 s.
// At 15x under -race on a loaded two-core machine the simulator's media loop fell behind often
// enough that the agent's speech reached the classifier choppy and was missed; 10x holds up.
const speed = 10

// Test companies. Each answers, plays a DTMF menu where 0 reaches the hold, holds with music,
// then a live agent greets the caller.
const (
	numShortHold = "+18005550101" // 24 s of music, then the agent
	numLongHold  = "+18005550102" // 10 min of music: for tests that end the call during hold
	numAnnounce  = "+18005550103" // 40 s of music broken by a spoken announcement every 12 s
)

// Simulated user phones.
const (
	phoneRobert = "robert" // answers after one ring
	phoneDesk   = "desk"   // rings forever
)

func say(text string) []aritest.Audio { return []aritest.Audio{{Say: text}} }

// companies returns the scripted companies of the tests, keyed by number.
func companies() map[string]*aritest.Scenario {
	retries := 3
	mk := func(name string, hold time.Duration, announce []aritest.Audio) *aritest.Scenario {
		return &aritest.Scenario{
			Name: name, AnswerAfter: aritest.Duration(2 * time.Second),
			Steps: []aritest.Step{
				{ID: "menu", Menu: &aritest.Menu{
					Prompt:  say("Thank you for calling " + name + ". For billing, press 1. To speak with a representative, press 0."),
					Options: map[string]string{"0": "hold", "1": "billing"},
					Timeout: aritest.Duration(8 * time.Second), Retries: &retries,
				}},
				{ID: "billing", Play: say("Billing is closed. Goodbye."), Goto: "hangup"},
				{ID: "hold", Hold: &aritest.Hold{Duration: aritest.Duration(hold), Music: "macroform-cold_day",
					Announce: announce, AnnounceEvery: aritest.Duration(12 * time.Second)}},
				{ID: "agent", Agent: &aritest.Agent{Greeting: "Hi, this is Sarah in customer support. How can I help you today?",
					Replies: []string{"Sure, I can help with that."}, Patience: aritest.Duration(60 * time.Second)}},
			},
		}
	}
	return map[string]*aritest.Scenario{
		numShortHold: mk("Short Hold Bank", 24*time.Second, nil),
		numLongHold:  mk("Long Hold Telecom", 10*time.Minute, nil),
		numAnnounce:  mk("Announcing Insurance", 40*time.Second, say("Your call is important to us. Please stay on the line.")),
	}
}

// env is one test's world: the clock, the simulated Asterisk, a data directory with the SQLite
// file, and the service (which a test may stop and start again on the same database).
type env struct {
	t       *testing.T
	clk     clock.Clock
	sim     *aritest.Server
	dir     string
	limits  app.Limits
	logs    *syncBuffer
	svc     *service
	client  *client
	stopped bool
	noSTT   bool
	token   string // API token the service requires and the client sends; empty: none
}

// envOptions adjust an env.
type envOptions struct {
	devices map[string]aritest.DeviceBehavior
	limits  app.Limits
	// scenarios are extra companies beside companies(); noSTT starts the service without
	// speech-to-text, as on a real Asterisk with no OpenAI-compatible key.
	scenarios map[string]*aritest.Scenario
	noSTT     bool
	// token makes the service require an API token, which the env's client then sends.
	token string
}

// newEnv starts the simulated Asterisk and the service. At cleanup it stops both and checks
// that no Asterisk resource and no goroutine is left.
func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	// Registered first, so it runs last, after every other cleanup.
	leaks := goleak.IgnoreCurrent()
	t.Cleanup(func() {
		if !t.Failed() {
			goleak.VerifyNone(t, leaks)
		}
	})
	if o.devices == nil {
		o.devices = map[string]aritest.DeviceBehavior{phoneRobert: {Mode: aritest.DeviceAnswers, Rings: 1, Greeting: "Hello?"}}
	}
	e := &env{t: t, clk: clock.NewScaled(speed), dir: t.TempDir(), limits: o.limits, logs: &syncBuffer{}, noSTT: o.noSTT, token: o.token}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("service and simulator log:\n%s", e.logs.String())
		}
	})
	scenarios := companies()
	for n, sc := range o.scenarios {
		scenarios[n] = sc
	}
	sim, err := aritest.New(aritest.Options{
		Clock: e.clk, Scenarios: scenarios, Devices: o.devices,
		SoundsDir: soundsDir(t), Log: e.log("simulated-asterisk"),
	})
	if err != nil {
		t.Fatalf("start simulated asterisk: %v", err)
	}
	e.sim = sim
	t.Cleanup(func() {
		// Every test ends its calls: their own teardown (not the service's shutdown) must have
		// released every channel and bridge they created.
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
	e.start()
	return e
}

// soundsDirOnce caches espeak-ng renderings for the whole package run.
var (
	soundsDirOnce sync.Once
	soundsPath    string
)

func soundsDir(t *testing.T) string {
	soundsDirOnce.Do(func() {
		// Not t.TempDir: the cache outlives one test. The OS cleans /tmp.
		soundsPath = filepath.Join(testTmp, "sounds")
	})
	return soundsPath
}

func (e *env) log(component string) *slog.Logger {
	return slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})).With("component", component)
}

// start builds and starts the service on the env's database; it waits until /readyz says 200.
func (e *env) start() {
	e.t.Helper()
	stt := e.sim.STTBaseURL()
	if e.noSTT {
		stt = ""
	}
	svc, err := startService(context.Background(), serviceConfig{
		DB: filepath.Join(e.dir, "holdslayer.db"), RecordingsDir: filepath.Join(e.dir, "recordings"),
		ARIURL: e.sim.URL(), STTURL: stt, Clock: e.clk, Log: e.log("service"), Limits: e.limits,
		Token: e.token,
	})
	if err != nil {
		e.t.Fatalf("start service: %v", err)
	}
	e.svc, e.stopped = svc, false
	e.client = newClient(e.t, svc.URL())
	if e.token != "" {
		e.client.http.Transport = bearer{token: e.token, next: e.client.tr}
	}
	e.client.waitReady(e.t, 10*time.Second)
}

// stop shuts the service down the way the binary does on SIGTERM.
func (e *env) stop() {
	e.t.Helper()
	e.stopped = true
	e.client.close()
	if err := e.svc.Stop(); err != nil {
		e.t.Errorf("stop service: %v", err)
	}
}

// serviceConfig is the subset of the binary's configuration the tests vary.
type serviceConfig struct {
	DB, RecordingsDir, ARIURL string
	ARIUser, ARIPassword      string
	STTURL                    string
	Token                     string
	DialTemplate, MediaHost   string
	Clock                     clock.Clock
	Log                       *slog.Logger
	Limits                    app.Limits
}

// service is the holdslayer service exactly as the binary wires it (internal/service), talking
// to the test's simulated Asterisk over ARI, on a loopback listener.
type service struct {
	svc    *hsservice.Service
	ln     net.Listener
	cancel context.CancelFunc
	served chan error
}

func startService(ctx context.Context, cfg serviceConfig) (*service, error) {
	if cfg.ARIUser == "" {
		cfg.ARIUser, cfg.ARIPassword = "holdslayer", "holdslayer"
	}
	if cfg.DialTemplate == "" {
		cfg.DialTemplate = app.DefaultDialTemplate
	}
	if cfg.MediaHost == "" {
		cfg.MediaHost = ari.DefaultMediaHost
	}
	dir := filepath.Dir(cfg.DB)
	conf := hsservice.Config{Listen: "127.0.0.1:0", DataDir: dir, DB: cfg.DB, RecordingsDir: cfg.RecordingsDir,
		ARIURL: cfg.ARIURL, ARIUser: cfg.ARIUser, ARIPassword: cfg.ARIPassword, ARIApp: "holdslayer", APIToken: cfg.Token,
		DialTemplate: cfg.DialTemplate, MediaHost: cfg.MediaHost, MaxCalls: 10, HomeCountry: "1",
		STTModel: "whisper-1", LiveCheck: true, ShutdownWaitMS: 10000}
	gin.SetMode(gin.ReleaseMode)
	svc, err := hsservice.New(ctx, conf, cfg.Log, hsservice.Options{Clock: cfg.Clock, Limits: cfg.Limits, STTBaseURL: cfg.STTURL})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		svc.Close()
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	s := &service{svc: svc, ln: ln, cancel: cancel, served: make(chan error, 1)}
	go func() { s.served <- svc.Run(runCtx, ln) }()
	return s, nil
}

// URL is the service's base URL, http://127.0.0.1:port.
func (s *service) URL() string { return "http://" + s.ln.Addr().String() }

// Stop is the binary's shutdown on SIGTERM: stop HTTP (ending streams), then end every call
// (reason shutdown) and close the adapter, notifier and store.
func (s *service) Stop() error {
	s.cancel()
	err := <-s.served
	s.svc.Close()
	return err
}

// syncBuffer collects logs from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

var _ io.Writer = (*syncBuffer)(nil)
