// Package ari connects the call engine to a real (or simulated) Asterisk over ARI: it satisfies
// app.PBX with the CyCoreSystems ari/v5 library for REST, its own events WebSocket (reconnect,
// keepalive, ApplicationReplaced), and RTP media sessions for externalMedia channels. Library
// types never leave this package.
package ari

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	ariv5 "github.com/CyCoreSystems/ari/v5"
	"github.com/CyCoreSystems/ari/v5/client/native"
	"github.com/google/uuid"

	"github.com/holdslayer/holdslayer/app"
	"github.com/holdslayer/holdslayer/app/clock"
)

// Compile-time check that the adapter is the engine's PBX.
var _ app.PBX = (*Adapter)(nil)

// Media formats externalMedia listening channels can use.
const (
	FormatSlin16 = "slin16"
	FormatULaw   = "ulaw"
)

// Defaults for Options fields left empty.
const (
	DefaultRequestTimeout = 5 * time.Second
	DefaultMediaHost      = "127.0.0.1"
	defaultInboundBuffer  = 64
)

// Options configure the adapter; main fills them from its configuration (nothing here reads the
// environment, and every library option is set explicitly so the library reads none either).
type Options struct {
	// URL is the ARI base URL, e.g. http://127.0.0.1:8088/ari.
	URL string
	// WebsocketURL is the events endpoint; derived from URL (ws://host/ari/events) when empty.
	WebsocketURL string
	User         string
	Password     string
	// App is the Stasis application name, e.g. holdslayer.
	App string
	// MediaHost is the IP the service binds for externalMedia RTP and gives Asterisk as
	// external_host. Default 127.0.0.1.
	MediaHost string
	// Format of listening externalMedia channels: "slin16" (default) or "ulaw".
	Format string
	Clock  clock.Clock
	Log    *slog.Logger
	// RequestTimeout bounds every REST call. Default 5 s.
	RequestTimeout time.Duration
	// PingInterval is how often the events socket is pinged (Asterisk never pings). Default 20 s.
	PingInterval time.Duration
	// MaxBackoff caps the reconnect delay (clock time). Default 5 s.
	MaxBackoff time.Duration
}

// Adapter is the ARI connection shared by all calls: REST through the library client, one events
// WebSocket demultiplexed by resource id into sessions.
type Adapter struct {
	opts   Options
	log    *slog.Logger
	clk    clock.Clock
	client *native.Client
	http   *http.Client

	ready   atomic.Bool
	inbound chan app.InboundCall

	mu       sync.Mutex
	sessions map[*Session]struct{}
	channels map[string]*Session // channel id -> owner
	bridges  map[string]*Session
	records  map[string]*Session // live recording name -> owner

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed atomic.Bool
}

// New validates opts, builds the library client with explicit options and starts the events
// connection. It makes one connection attempt at once: refused credentials are an error; an
// unreachable Asterisk is not (Ready stays false and the adapter keeps retrying).
func New(ctx context.Context, opts Options) (*Adapter, error) {
	if opts.URL == "" || opts.App == "" {
		return nil, fmt.Errorf("ari options: url and app are required: %w", app.ErrInvalid)
	}
	if opts.User == "" || opts.Password == "" {
		return nil, fmt.Errorf("ari options: user and password are required: %w", app.ErrInvalid)
	}
	opts.URL = strings.TrimRight(opts.URL, "/")
	if opts.WebsocketURL == "" {
		u, err := url.Parse(opts.URL)
		if err != nil {
			return nil, fmt.Errorf("ari options: parse url %q: %w", opts.URL, err)
		}
		switch u.Scheme {
		case "https":
			u.Scheme = "wss"
		default:
			u.Scheme = "ws"
		}
		u.Path = strings.TrimRight(u.Path, "/") + "/events"
		opts.WebsocketURL = u.String()
	}
	if opts.MediaHost == "" {
		opts.MediaHost = DefaultMediaHost
	}
	switch opts.Format {
	case "":
		opts.Format = FormatSlin16
	case FormatSlin16, FormatULaw:
	default:
		return nil, fmt.Errorf("ari options: format %q (want slin16 or ulaw): %w", opts.Format, app.ErrInvalid)
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = DefaultRequestTimeout
	}
	if opts.PingInterval <= 0 {
		opts.PingInterval = 20 * time.Second
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 5 * time.Second
	}
	origin := "http://localhost/"
	if u, err := url.Parse(opts.URL); err == nil {
		origin = u.Scheme + "://" + u.Host + "/"
	}
	// Every field is set: native.New falls back to ARI_* environment variables for empty ones.
	client := native.New(&native.Options{
		Application:     opts.App,
		URL:             opts.URL,
		WebsocketURL:    opts.WebsocketURL,
		WebsocketOrigin: origin,
		Username:        opts.User,
		Password:        opts.Password,
		SubscribeAll:    false,
	})
	a := &Adapter{
		opts:     opts,
		log:      opts.Log.With("component", "ari"),
		clk:      opts.Clock,
		client:   client,
		http:     &http.Client{},
		inbound:  make(chan app.InboundCall, defaultInboundBuffer),
		sessions: map[*Session]struct{}{},
		channels: map[string]*Session{},
		bridges:  map[string]*Session{},
		records:  map[string]*Session{},
	}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	conn, err := a.dial(ctx)
	if err != nil {
		if errors.Is(err, ErrUnauthorized) || errors.Is(err, app.ErrInvalid) {
			a.cancel()
			return nil, fmt.Errorf("connect ari events: %w", err)
		}
		a.log.Warn("ari not reachable yet, retrying in background", "err", err)
	}
	a.wg.Add(1)
	go a.run(conn)
	return a, nil
}

// Close stops the events connection and every goroutine of the adapter. Sessions should be
// closed first; their resources are not torn down here.
func (a *Adapter) Close() error {
	if a.closed.Swap(true) {
		return nil
	}
	a.cancel()
	a.wg.Wait()
	a.ready.Store(false)
	return nil
}

// Ready reports whether the events connection is up and the app registered.
func (a *Adapter) Ready() bool { return a.ready.Load() }

// Inbound delivers channels the dialplan sent into the app with Stasis(app,dial,...).
func (a *Adapter) Inbound() <-chan app.InboundCall { return a.inbound }

// EndpointOnline reports whether a device endpoint such as PJSIP/robert is reachable now.
// Local channels have no registration, so a Local/... dial string is always online.
func (a *Adapter) EndpointOnline(ctx context.Context, endpoint string) (bool, error) {
	tech, resource, ok := strings.Cut(endpoint, "/")
	if !ok || tech == "" || resource == "" {
		return false, fmt.Errorf("endpoint %q is not tech/resource: %w", endpoint, app.ErrInvalid)
	}
	if strings.EqualFold(tech, "Local") {
		return true, nil
	}
	if i := strings.IndexByte(resource, '@'); i >= 0 {
		resource = resource[:i]
	}
	var data *ariv5.EndpointData
	err := a.do(ctx, "get endpoint "+endpoint, func() error {
		var err error
		data, err = a.client.Endpoint().Data(ariv5.NewEndpointKey(tech, resource))
		return err
	})
	if err != nil {
		if errors.Is(err, app.ErrNotFound) {
			return false, nil
		}
		return false, err
	}
	return strings.EqualFold(data.State, "online"), nil
}

// Open starts the PBX side of one call.
func (a *Adapter) Open(ctx context.Context, callID string) (app.Session, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("open session %s: %w", callID, err)
	}
	if a.closed.Load() {
		return nil, fmt.Errorf("open session %s: adapter closed: %w", callID, app.ErrUnavailable)
	}
	s := newSession(a, callID)
	a.mu.Lock()
	a.sessions[s] = struct{}{}
	a.mu.Unlock()
	return s, nil
}

// do runs one library REST call with the request timeout and ctx: the library takes no context,
// so the call runs aside and an expired ctx returns at once (the call finishes in the background).
func (a *Adapter) do(ctx context.Context, op string, f func() error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("ari %s: %w", op, err)
	}
	ctx, cancel := context.WithTimeout(ctx, a.opts.RequestTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		if err == nil {
			return nil
		}
		return &RequestError{Op: op, Status: statusOf(err), Err: err}
	case <-ctx.Done():
		return fmt.Errorf("ari %s: %w", op, ctx.Err())
	}
}

// track and untrack route events of a resource to its session.
func (a *Adapter) trackChannel(id string, s *Session) {
	a.mu.Lock()
	a.channels[id] = s
	a.mu.Unlock()
}

func (a *Adapter) untrackChannel(id string) {
	a.mu.Lock()
	delete(a.channels, id)
	a.mu.Unlock()
}

func (a *Adapter) trackBridge(id string, s *Session) {
	a.mu.Lock()
	a.bridges[id] = s
	a.mu.Unlock()
}

func (a *Adapter) untrackBridge(id string) {
	a.mu.Lock()
	delete(a.bridges, id)
	a.mu.Unlock()
}

func (a *Adapter) trackRecording(name string, s *Session) {
	a.mu.Lock()
	a.records[name] = s
	a.mu.Unlock()
}

func (a *Adapter) untrackRecording(name string) {
	a.mu.Lock()
	delete(a.records, name)
	a.mu.Unlock()
}

func (a *Adapter) removeSession(s *Session) {
	a.mu.Lock()
	delete(a.sessions, s)
	for id, o := range a.channels {
		if o == s {
			delete(a.channels, id)
		}
	}
	for id, o := range a.bridges {
		if o == s {
			delete(a.bridges, id)
		}
	}
	for id, o := range a.records {
		if o == s {
			delete(a.records, id)
		}
	}
	a.mu.Unlock()
}

func (a *Adapter) allSessions() []*Session {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]*Session, 0, len(a.sessions))
	for s := range a.sessions {
		out = append(out, s)
	}
	return out
}

// dispatch routes one decoded event: to the session owning its channel or recording, or, for a
// StasisStart of a channel nobody owns whose args start with "dial", to Inbound.
func (a *Adapter) dispatch(ev ariv5.Event) {
	var chID, recName string
	switch e := ev.(type) {
	case *ariv5.StasisStart:
		chID = e.Channel.ID
	case *ariv5.StasisEnd:
		chID = e.Channel.ID
	case *ariv5.ChannelStateChange:
		chID = e.Channel.ID
	case *ariv5.ChannelHangupRequest:
		chID = e.Channel.ID
	case *ariv5.ChannelDestroyed:
		chID = e.Channel.ID
	case *ariv5.ChannelDtmfReceived:
		chID = e.Channel.ID
	case *ariv5.RecordingFinished:
		recName = e.Recording.Name
	case *ariv5.RecordingFailed:
		recName = e.Recording.Name
	default:
		return
	}
	a.mu.Lock()
	var owner *Session
	if chID != "" {
		owner = a.channels[chID]
	} else {
		owner = a.records[recName]
	}
	a.mu.Unlock()
	if owner != nil {
		owner.enqueue(ev)
		return
	}
	if ss, ok := ev.(*ariv5.StasisStart); ok {
		a.inboundStart(ss)
	}
}

func (a *Adapter) inboundStart(ss *ariv5.StasisStart) {
	if len(ss.Args) == 0 || ss.Args[0] != "dial" {
		a.log.Debug("ignoring unowned stasis channel", "channel_id", ss.Channel.ID, "args", ss.Args)
		return
	}
	call := app.InboundCall{ChannelID: ss.Channel.ID, Args: append([]string(nil), ss.Args...)}
	if ss.Channel.Caller != nil {
		call.CallerID = ss.Channel.Caller.Number
	}
	select {
	case a.inbound <- call:
	default:
		// Nobody is taking calls: refuse this one rather than leave it in Stasis forever.
		a.log.Error("inbound queue full, refusing call", "channel_id", call.ChannelID)
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			_ = a.do(a.ctx, "hangup refused inbound", func() error {
				return a.client.Channel().Hangup(ariv5.NewKey(ariv5.ChannelKey, call.ChannelID), "congestion")
			})
		}()
	}
}

// newID returns a fresh resource id for channels, bridges and snoops we create.
func newID(prefix string) string { return prefix + "-" + uuid.NewString() }

// localIP returns the host part of the ARI URL, used when Asterisk reports 0.0.0.0 as its RTP
// address.
func (a *Adapter) ariHost() string {
	u, err := url.Parse(a.opts.URL)
	if err != nil {
		return "127.0.0.1"
	}
	h := u.Hostname()
	if ip := net.ParseIP(h); ip != nil {
		return h
	}
	if addrs, err := net.LookupHost(h); err == nil && len(addrs) > 0 {
		return addrs[0]
	}
	return "127.0.0.1"
}
