package aritest

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/holdslayer/holdslayer/app/clock"
)

// Options configures a simulated Asterisk. The zero value is usable.
type Options struct {
	// Addr is the HTTP listen address; default "127.0.0.1:0".
	Addr string
	// User and Password are the ARI credentials (basic auth or api_key=user:password); both
	// default to "holdslayer".
	User, Password string
	// Clock paces media and times scenarios; nil means clock.Real{}.
	Clock clock.Clock
	// Scenarios maps dialled numbers (e.g. "+18005550001" or "18005550001") to companies.
	Scenarios map[string]*Scenario
	// Devices maps PJSIP endpoint resources (e.g. "robert" for PJSIP/robert) to behaviours.
	Devices map[string]DeviceBehavior
	// SoundsDir caches audio rendered by espeak-ng; default a temporary directory that
	// Close removes.
	SoundsDir string
	// TransmitSilence is Asterisk's transmit_silence: two-party bridges send silence frames
	// instead of nothing and bridge recordings keep silent stretches.
	TransmitSilence bool
	// Faults injects failures into media and calls.
	Faults Faults
	// Log receives diagnostics; nil discards them.
	Log *slog.Logger
}

// Faults are knobs for fault injection; all default to off.
type Faults struct {
	// PacketLoss is the probability (0..1) that an outgoing RTP packet is dropped.
	PacketLoss float64
	// Jitter delays outgoing RTP packets by a random 0..Jitter of real time (reordering them).
	Jitter time.Duration
	// HangupAtStep makes the company hang up when its scenario enters the step with this id.
	HangupAtStep string
	// AddBeforeStasis refuses this many bridge addChannel requests with 422 "Channel not in
	// Stasis application", as a real Asterisk does when a snoop or externalMedia channel is
	// added before its StasisStart has been processed (seen 1 time in 30 on Asterisk 22.10.1).
	AddBeforeStasis int
	// SlowBridgeCreate holds each bridge creation this long (real time) before the bridge is
	// made and the answer sent, as a loaded Asterisk does: a client that gives up meanwhile
	// still gets the bridge, and must remove it.
	SlowBridgeCreate time.Duration
	// BridgeCreating, when set, is told (without blocking) each time a bridge creation
	// request arrives, before SlowBridgeCreate holds it: a test can act while it is in
	// flight without guessing how long the request takes to get there.
	BridgeCreating chan<- struct{}
}

// Server is a running simulated Asterisk.
type Server struct {
	opts   Options
	clk    clock.Clock
	log    *slog.Logger
	addr   string // resolved listen address (kept across restarts)
	sounds *soundCache
	ownDir string      // the temporary SoundsDir New made, removed by Close
	vocab  *Vocabulary // what the transcription endpoint recognises

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// gate is held shared by every request handler and exclusively by
	// Close while it shuts the door: handlers start goroutines (wg.Add)
	// after they let go of mu, and an Add must not race Close's wg.Wait.
	// gateShut turns away requests that arrive after Close began.
	gate     sync.RWMutex
	gateShut bool

	httpMu   sync.Mutex
	httpSrv  *http.Server
	listener net.Listener
	booting  bool
	started  time.Time
	reloaded time.Time

	mu          sync.Mutex
	apps        map[string]*wsConn // active socket per application
	socks       map[*wsConn]bool   // every open socket
	channels    map[string]*channel
	bridges     map[string]*bridge
	playbacks   map[string]*playback
	liveRecs    map[string]*recording
	stored      map[string]*storedRecording
	heard       map[string][]int16  // device endpoint -> audio it received
	mediaConns  map[string]*channel // chan_websocket connection id -> channel
	seq         int
	localSeq    int
	epoch       int64
	failNext    []failure
	faults      Faults
	mediaEpoch  time.Time
	framesDone  int64
	closed      bool
	closeOnce   sync.Once
	restartDone chan struct{}
}

type failure struct{ status int }

// New starts a simulated Asterisk: HTTP (ARI under /ari) on opts.Addr and its media loop.
func New(opts Options) (s *Server, err error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.User == "" && opts.Password == "" {
		opts.User, opts.Password = "holdslayer", "holdslayer"
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ownDir := ""
	if opts.SoundsDir == "" {
		d, err := os.MkdirTemp("", "aritest-sounds-")
		if err != nil {
			return nil, fmt.Errorf("create sounds dir: %w", err)
		}
		opts.SoundsDir, ownDir = d, d
		defer func() {
			if err != nil {
				_ = os.RemoveAll(d)
			}
		}()
	}
	s = &Server{
		opts:       opts,
		clk:        opts.Clock,
		log:        opts.Log,
		sounds:     newSoundCache(opts.SoundsDir),
		ownDir:     ownDir,
		vocab:      &Vocabulary{},
		apps:       map[string]*wsConn{},
		socks:      map[*wsConn]bool{},
		channels:   map[string]*channel{},
		bridges:    map[string]*bridge{},
		playbacks:  map[string]*playback{},
		liveRecs:   map[string]*recording{},
		stored:     map[string]*storedRecording{},
		heard:      map[string][]int16{},
		mediaConns: map[string]*channel{},
		faults:     opts.Faults,
	}
	for num, sc := range opts.Scenarios {
		if err := sc.prepare(s.sounds); err != nil {
			return nil, fmt.Errorf("prepare scenario for %s: %w", num, err)
		}
		sc.vocabulary(s.vocab)
		for _, st := range sc.Steps {
			if h := st.Hold; h != nil {
				s.vocab.addBackground("moh:"+h.Music, s.sounds.moh(h.Music))
			}
		}
	}
	for name, d := range opts.Devices {
		if d.Greeting != "" {
			smp, err := s.sounds.say(d.Greeting, d.Voice)
			if err != nil {
				return nil, fmt.Errorf("prepare device %s greeting: %w", name, err)
			}
			s.vocab.add(d.Greeting, smp)
		}
	}
	s.started = s.clk.Now()
	s.reloaded = s.started
	s.epoch = s.started.Unix()
	s.ctx, s.cancel = context.WithCancel(context.Background())
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", opts.Addr, err)
	}
	s.addr = ln.Addr().String()
	s.serve(ln)
	s.wg.Add(1)
	go s.mediaLoop()
	return s, nil
}

func (s *Server) serve(ln net.Listener) {
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	s.httpMu.Lock()
	s.httpSrv, s.listener = srv, ln
	s.httpMu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Warn("aritest http serve", "err", err)
		}
	}()
}

// URL is the ARI base URL, e.g. http://127.0.0.1:PORT/ari.
func (s *Server) URL() string { return "http://" + s.addr + "/ari" }

// Addr is the HTTP listen address (host:port).
func (s *Server) Addr() string { return s.addr }

// Close stops HTTP, the media loop, every socket and every call.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		// Wait for the handlers in flight (they may still start
		// goroutines), and let no new one in.
		s.gate.Lock()
		s.gateShut = true
		s.gate.Unlock()
		s.mu.Lock()
		s.closed = true
		for _, c := range s.channels {
			s.killMedia(c)
		}
		for ws := range s.socks {
			ws.abort()
		}
		s.mu.Unlock()
		s.httpMu.Lock()
		srv := s.httpSrv
		s.httpMu.Unlock()
		if srv != nil {
			_ = srv.Close()
		}
		s.cancel()
	})
	s.wg.Wait()
	if s.ownDir != "" {
		if err := os.RemoveAll(s.ownDir); err != nil {
			return fmt.Errorf("remove sounds dir: %w", err)
		}
	}
	return nil
}

// Live counts live channels and bridges, for leak checks.
func (s *Server) Live() (channels, bridges int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.channels), len(s.bridges)
}

// DeviceHeard returns (a copy of) all audio, 8 kHz mono, that calls to the device endpoint
// (e.g. "robert") received, so tests can assert the user heard the agent.
func (s *Server) DeviceHeard(endpoint string) []int16 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int16(nil), s.heard[endpoint]...)
}

// FailNextOriginate makes the next POST /channels answer with status (e.g. 500) and the body
// Asterisk uses for an allocation failure.
func (s *Server) FailNextOriginate(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = append(s.failNext, failure{status: status})
}

// SetFaults replaces the fault knobs while running.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// HangupFarEnd hangs the call up from the far end (the company or device behind channel id,
// or the Local pair's other half), as if they put the phone down.
func (s *Server) HangupFarEnd(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[id]
	if c == nil {
		return fmt.Errorf("hangup far end of %s: %w", id, errNotFound)
	}
	s.farHangupLocked(c, 16)
	return nil
}

var errNotFound = errors.New("channel not found")

// Restart simulates `core restart now`: channels are torn down (StasisEnd first), event sockets
// drop with 1006, REST is refused for down, then answers 503 "Asterisk not booted" for down,
// then everything is back, empty. It returns at once; the restart runs on the clock.
func (s *Server) Restart(down time.Duration) {
	s.mu.Lock()
	for _, c := range s.sortedChannels() {
		if c.kind == kindLocal2 || c.dead {
			continue
		}
		s.restartHangupLocked(c)
	}
	for _, b := range s.bridges {
		s.stopBridgeMediaLocked(b)
	}
	s.bridges = map[string]*bridge{}
	for _, r := range s.liveRecs {
		r.done = true
	}
	s.liveRecs = map[string]*recording{}
	socks := make([]*wsConn, 0, len(s.socks))
	for ws := range s.socks {
		socks = append(socks, ws)
	}
	s.apps = map[string]*wsConn{}
	s.mu.Unlock()
	// give the writers a moment to flush the teardown events, then drop the sockets
	for _, ws := range socks {
		ws.flushAndAbort(200 * time.Millisecond)
	}
	s.httpMu.Lock()
	srv := s.httpSrv
	s.booting = true
	s.httpMu.Unlock()
	_ = srv.Close()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if clock.Sleep(s.ctx, s.clk, down) != nil {
			return
		}
		ln, err := net.Listen("tcp", s.addr)
		if err != nil {
			s.log.Error("aritest restart listen", "err", err)
			return
		}
		s.serve(ln)
		if clock.Sleep(s.ctx, s.clk, down) != nil {
			return
		}
		s.httpMu.Lock()
		s.booting = false
		s.reloaded = s.clk.Now()
		s.started = s.reloaded
		s.httpMu.Unlock()
	}()
}

// ServeHTTP implements http.Handler: ARI under /ari, and the closed-vocabulary
// transcription endpoint at /v1/audio/transcriptions (see Vocabulary).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.gate.RLock()
	defer s.gate.RUnlock()
	if s.gateShut {
		writeErr(w, http.StatusServiceUnavailable, "Asterisk is shutting down")
		return
	}
	if r.URL.Path == "/v1/audio/transcriptions" {
		s.serveTranscription(w, r)
		return
	}
	media := strings.HasPrefix(r.URL.Path, "/media/")
	if !strings.HasPrefix(r.URL.Path, "/ari/") && !media {
		writeErr(w, http.StatusNotFound, "Resource not found")
		return
	}
	s.httpMu.Lock()
	booting := s.booting
	s.httpMu.Unlock()
	if booting {
		writeErr(w, http.StatusServiceUnavailable, "Asterisk not booted")
		return
	}
	if media {
		// chan_websocket's media socket: the connection id is the credential
		s.handleMedia(w, r)
		return
	}
	if !s.authorized(r) {
		writeErr(w, http.StatusUnauthorized, "Authentication required")
		return
	}
	if r.URL.Path == "/ari/events" {
		s.handleEvents(w, r)
		return
	}
	s.route(w, r)
}

func (s *Server) authorized(r *http.Request) bool {
	if u, p, ok := r.BasicAuth(); ok {
		return u == s.opts.User && p == s.opts.Password
	}
	if k := r.URL.Query().Get("api_key"); k != "" {
		return k == s.opts.User+":"+s.opts.Password
	}
	return false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"message":"encode failed"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeErr(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"message": msg})
}

func noContent(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }

func (s *Server) now() time.Time { return s.clk.Now() }

func (s *Server) newID() string {
	s.seq++
	return fmt.Sprintf("%d.%d", s.epoch, s.seq)
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func atoiDefault(s string, d int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return d
}
