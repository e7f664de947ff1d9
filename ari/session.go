package ari

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	ariv5 "github.com/CyCoreSystems/ari/v5"

	"github.com/holdslayer/holdslayer/app"
	"github.com/holdslayer/holdslayer/app/clock"
)

// chanKind says why a session owns a channel; only call legs (originated or adopted) are
// reported to the engine, the media plumbing ends its AudioSource/AudioSink instead.
type chanKind int

const (
	kindOriginated chanKind = iota + 1
	kindAdopted
	kindSnoop
	kindMedia
)

// chanInfo is what the session tracks about a channel it owns.
type chanInfo struct {
	kind chanKind
	// onGone runs once when the channel leaves (media plumbing closes its source or sink).
	onGone func()
}

// chanState is the hangup bookkeeping of one channel, owned by the session's pump goroutine.
type chanState struct {
	answered bool
	rang     bool
	cause    int  // last Q.850 cause seen on a hard hangup request
	shutdown bool // a soft hangup carried the shutdown flag: Asterisk is restarting
	done     bool // PBXHangup (or onGone) already delivered
}

// goneItem tells the pump that reconciliation found a channel missing.
type goneItem struct{ id string }

// Session is the PBX side of one call: every channel, bridge, snoop, externalMedia channel and
// recording it creates is tracked and torn down by Close. Events for its resources are
// translated by one goroutine and delivered in order on Events.
type Session struct {
	a      *Adapter
	callID string
	log    *slog.Logger

	out      chan app.PBXEvent
	qmu      sync.Mutex
	queue    []any // ariv5.Event, app.PBXEvent or goneItem; unbounded so the reader never waits
	wake     chan struct{}
	done     chan struct{}
	pumpDone chan struct{}

	mu         sync.Mutex
	channels   map[string]*chanInfo
	bridges    map[string]struct{}
	recordings map[string]struct{}
	closers    []io.Closer // media sources and sinks
	// closing refuses new creations once Close began; creating counts the creation requests
	// admitted before (see create).
	closing  bool
	creating sync.WaitGroup

	states    map[string]*chanState // pump-owned
	closeOnce sync.Once
	closeErr  error
}

func newSession(a *Adapter, callID string) *Session {
	s := &Session{
		a:          a,
		callID:     callID,
		log:        a.log.With("call_id", callID),
		out:        make(chan app.PBXEvent, 64),
		wake:       make(chan struct{}, 1),
		done:       make(chan struct{}),
		pumpDone:   make(chan struct{}),
		channels:   map[string]*chanInfo{},
		bridges:    map[string]struct{}{},
		recordings: map[string]struct{}{},
		states:     map[string]*chanState{},
	}
	go s.pump()
	return s
}

// Events delivers the session's PBX events; it is closed after Close.
func (s *Session) Events() <-chan app.PBXEvent { return s.out }

func (s *Session) enqueue(item any) {
	s.qmu.Lock()
	s.queue = append(s.queue, item)
	s.qmu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// pump translates queued ARI events into PBX events, in order, until Close.
func (s *Session) pump() {
	defer close(s.pumpDone)
	defer close(s.out)
	for {
		s.qmu.Lock()
		batch := s.queue
		s.queue = nil
		s.qmu.Unlock()
		for _, item := range batch {
			for _, ev := range s.translate(item) {
				select {
				case s.out <- ev:
				case <-s.done:
					return
				}
			}
		}
		select {
		case <-s.wake:
		case <-s.done:
			return
		}
	}
}

func (s *Session) info(id string) *chanInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.channels[id]
}

func (s *Session) state(id string) *chanState {
	st := s.states[id]
	if st == nil {
		st = &chanState{}
		s.states[id] = st
	}
	return st
}

// translate turns one queued item into the PBX events it means.
func (s *Session) translate(item any) []app.PBXEvent {
	now := s.a.clk.Now()
	switch e := item.(type) {
	case app.PBXEvent:
		return []app.PBXEvent{e}
	case goneItem:
		return s.gone(e.id, 0, ReasonAsteriskRestart, now)
	case *ariv5.StasisStart:
		ci := s.info(e.Channel.ID)
		st := s.state(e.Channel.ID)
		if ci == nil || ci.kind != kindOriginated || st.answered {
			return nil
		}
		st.answered = true
		return []app.PBXEvent{{Kind: app.PBXAnswered, ChannelID: e.Channel.ID, At: now}}
	case *ariv5.ChannelStateChange:
		ci := s.info(e.Channel.ID)
		st := s.state(e.Channel.ID)
		if ci == nil || ci.kind != kindOriginated || st.rang || st.answered || e.Channel.State != "Ringing" {
			return nil
		}
		st.rang = true
		return []app.PBXEvent{{Kind: app.PBXRinging, ChannelID: e.Channel.ID, At: now}}
	case *ariv5.ChannelHangupRequest:
		st := s.state(e.Channel.ID)
		if e.Soft {
			// cause is a set of soft-hangup flags here, not a Q.850 code.
			if e.Cause&softHangupShutdown != 0 {
				st.shutdown = true
			}
		} else if e.Cause != 0 {
			st.cause = e.Cause
		}
		return nil
	case *ariv5.StasisEnd:
		// Snoop channels never get ChannelDestroyed; everything else does, with the real cause.
		if ci := s.info(e.Channel.ID); ci != nil && ci.kind == kindSnoop {
			return s.gone(e.Channel.ID, 0, "", now)
		}
		return nil
	case *ariv5.ChannelDestroyed:
		return s.gone(e.Channel.ID, e.Cause, "", now)
	case *ariv5.ChannelDtmfReceived:
		if ci := s.info(e.Channel.ID); ci == nil || (ci.kind != kindOriginated && ci.kind != kindAdopted) {
			return nil
		}
		return []app.PBXEvent{{Kind: app.PBXDTMF, ChannelID: e.Channel.ID, Digit: e.Digit, At: now}}
	case *ariv5.RecordingFinished:
		s.forgetRecording(e.Recording.Name)
		return []app.PBXEvent{{Kind: app.PBXRecordingFinished, Name: e.Recording.Name,
			Duration: time.Duration(e.Recording.Duration), At: now}}
	case *ariv5.RecordingFailed:
		s.forgetRecording(e.Recording.Name)
		return []app.PBXEvent{{Kind: app.PBXRecordingFailed, Name: e.Recording.Name,
			Reason: e.Recording.Cause, At: now}}
	}
	return nil
}

// gone reports a channel's end once: PBXHangup for call legs, onGone for media plumbing.
func (s *Session) gone(id string, cause int, reason string, now time.Time) []app.PBXEvent {
	st := s.state(id)
	if st.done {
		return nil
	}
	st.done = true
	if cause == 0 {
		cause = st.cause
	}
	if reason == "" {
		if st.shutdown {
			reason = ReasonAsteriskRestart
		} else {
			reason = ClassifyCause(cause)
		}
	}
	s.mu.Lock()
	ci := s.channels[id]
	delete(s.channels, id)
	s.mu.Unlock()
	s.a.untrackChannel(id)
	if ci == nil {
		return nil
	}
	if ci.onGone != nil {
		ci.onGone()
	}
	if ci.kind != kindOriginated && ci.kind != kindAdopted {
		s.log.Debug("media channel gone", "channel_id", id, "cause", cause)
		return nil
	}
	s.log.Info("channel hung up", "channel_id", id, "cause", cause, "reason", reason)
	return []app.PBXEvent{{Kind: app.PBXHangup, ChannelID: id, Cause: cause, Reason: reason, At: now}}
}

func (s *Session) forgetRecording(name string) {
	s.mu.Lock()
	delete(s.recordings, name)
	s.mu.Unlock()
	s.a.untrackRecording(name)
}

// addChannel starts routing a channel's events to the session; called before the request that
// creates it, so no early event is missed.
func (s *Session) addChannel(id string, kind chanKind, onGone func()) {
	s.mu.Lock()
	s.channels[id] = &chanInfo{kind: kind, onGone: onGone}
	s.mu.Unlock()
	s.a.trackChannel(id, s)
}

// dropChannel takes a channel out of the session's inventory and the adapter's.
func (s *Session) dropChannel(id string) {
	s.mu.Lock()
	delete(s.channels, id)
	s.mu.Unlock()
	s.a.untrackChannel(id)
}

// dropBridge takes a bridge out of the session's inventory and the adapter's.
func (s *Session) dropBridge(id string) {
	s.mu.Lock()
	delete(s.bridges, id)
	s.mu.Unlock()
	s.a.untrackBridge(id)
}

func (s *Session) closed() error {
	select {
	case <-s.done:
		return fmt.Errorf("session %s closed: %w", s.callID, app.ErrConflict)
	default:
		return nil
	}
}

// create runs one request that makes a channel or a bridge (already in the session's
// inventory under its id), so that nothing it makes outlives the session:
//   - it is refused once Close has begun, and Close waits for the admitted ones, so the
//     inventory Close tears down includes what they made;
//   - it is not abandoned when ctx ends: a request cut off halfway may still make the thing
//     in Asterisk with nobody left to remove it (seen as a leaked bridge when the service
//     stopped during a call's set-up). It runs to its own timeout; if ctx ended meanwhile,
//     undo removes what it made and ctx's error is returned.
func (s *Session) create(ctx context.Context, op string, f func(context.Context) error, undo func(context.Context)) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return fmt.Errorf("ari %s: session %s closed: %w", op, s.callID, app.ErrConflict)
	}
	s.creating.Add(1)
	s.mu.Unlock()
	defer s.creating.Done()
	bg := context.WithoutCancel(ctx)
	if err := f(bg); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		undo(bg)
		return fmt.Errorf("ari %s: %w", op, err)
	}
	return nil
}

// createChannel runs create for channel id, already in the inventory: undo hangs it up, and
// if the request failed or was undone the channel leaves the inventory.
func (s *Session) createChannel(ctx context.Context, op, id string, f func(context.Context) error) error {
	err := s.create(ctx, op, f, func(c context.Context) { _ = s.Hangup(c, id, "normal") })
	if err != nil {
		s.dropChannel(id)
	}
	return err
}

func chKey(id string) *ariv5.Key { return ariv5.NewKey(ariv5.ChannelKey, id) }
func brKey(id string) *ariv5.Key { return ariv5.NewKey(ariv5.BridgeKey, id) }

// Originate dials endpoint into the app; PBXRinging, PBXAnswered and PBXHangup follow.
func (s *Session) Originate(ctx context.Context, endpoint string, opts app.OriginateOptions) (string, error) {
	if err := s.closed(); err != nil {
		return "", err
	}
	if endpoint == "" {
		return "", fmt.Errorf("originate: empty endpoint: %w", app.ErrInvalid)
	}
	id := newID("hs")
	req := ariv5.OriginateRequest{
		Endpoint:  endpoint,
		App:       s.a.opts.App,
		AppArgs:   "out," + s.callID,
		ChannelID: id,
		CallerID:  opts.CallerID,
		Variables: opts.Variables,
	}
	if opts.Timeout > 0 {
		req.Timeout = int((opts.Timeout + time.Second - 1) / time.Second)
	}
	h, err := s.a.client.Channel().StageOriginate(nil, req)
	if err != nil {
		return "", fmt.Errorf("stage originate %s: %w", endpoint, err)
	}
	s.addChannel(id, kindOriginated, nil)
	if err := s.createChannel(ctx, "originate "+endpoint, id, func(c context.Context) error { return s.a.do(c, "originate "+endpoint, h.Exec) }); err != nil {
		return "", err
	}
	s.log.Info("originated", "channel_id", id, "endpoint", endpoint)
	return id, nil
}

// Adopt takes an inbound channel (already in the app) into the session.
func (s *Session) Adopt(ctx context.Context, channelID string) error {
	if err := s.closed(); err != nil {
		return err
	}
	s.addChannel(channelID, kindAdopted, nil)
	err := s.a.do(ctx, "get channel "+channelID, func() error {
		_, err := s.a.client.Channel().Data(chKey(channelID))
		return err
	})
	if err != nil {
		s.dropChannel(channelID)
		return fmt.Errorf("adopt %s: %w", channelID, err)
	}
	return nil
}

// Answer answers a channel that is in the app.
func (s *Session) Answer(ctx context.Context, channelID string) error {
	return s.a.do(ctx, "answer "+channelID, func() error { return s.a.client.Channel().Answer(chKey(channelID)) })
}

// Hangup ends a channel with an ARI reason ("normal", "busy", ...). A channel that is already
// gone counts as hung up.
func (s *Session) Hangup(ctx context.Context, channelID, reason string) error {
	if reason == "" {
		reason = "normal"
	}
	err := s.a.do(ctx, "hangup "+channelID, func() error { return s.a.client.Channel().Hangup(chKey(channelID), reason) })
	if errors.Is(err, app.ErrNotFound) {
		return nil
	}
	return err
}

// SendDTMF plays digits to the far end, 100 ms tones 100 ms apart.
func (s *Session) SendDTMF(ctx context.Context, channelID, digits string) error {
	if digits == "" || strings.Trim(digits, "0123456789*#ABCDabcdwW,") != "" {
		return fmt.Errorf("dtmf %q: %w", digits, app.ErrInvalid)
	}
	opts := &ariv5.DTMFOptions{Duration: 100 * time.Millisecond, Between: 100 * time.Millisecond}
	return s.a.do(ctx, "dtmf "+channelID, func() error { return s.a.client.Channel().SendDTMF(chKey(channelID), digits, opts) })
}

// CreateBridge creates a bridge of the given kind, owned by the session.
func (s *Session) CreateBridge(ctx context.Context, kind app.BridgeKind) (string, error) {
	if err := s.closed(); err != nil {
		return "", err
	}
	return s.createBridge(ctx, kind, string(kind))
}

func (s *Session) createBridge(ctx context.Context, kind app.BridgeKind, purpose string) (string, error) {
	id := newID("br")
	h, err := s.a.client.Bridge().StageCreate(brKey(id), string(kind), s.callID+"-"+purpose)
	if err != nil {
		return "", fmt.Errorf("stage bridge: %w", err)
	}
	s.mu.Lock()
	s.bridges[id] = struct{}{}
	s.mu.Unlock()
	s.a.trackBridge(id, s)
	if err := s.create(ctx, "create bridge", func(c context.Context) error { return s.a.do(c, "create bridge", h.Exec) },
		func(c context.Context) { _ = s.DestroyBridge(c, id) }); err != nil {
		s.dropBridge(id)
		return "", err
	}
	return id, nil
}

// AddToBridge puts a channel into a bridge.
func (s *Session) AddToBridge(ctx context.Context, bridgeID, channelID string) error {
	return s.a.do(ctx, "add "+channelID+" to bridge", func() error {
		return s.a.client.Bridge().AddChannel(brKey(bridgeID), channelID)
	})
}

// Bounds of addNewChannel's wait for a channel to enter Stasis.
const (
	stasisRetryEvery = 50 * time.Millisecond
	stasisRetryFor   = 2 * time.Second
)

// addNewChannel adds a channel the session just created (snoop, externalMedia) to a bridge.
// Asterisk answers 422 "Channel not in Stasis application" until it has processed the new
// channel's StasisStart, which can trail the creating request's 200; the add is retried briefly.
func (s *Session) addNewChannel(ctx context.Context, bridgeID, channelID string) error {
	deadline := s.a.clk.Now().Add(stasisRetryFor)
	for {
		err := s.AddToBridge(ctx, bridgeID, channelID)
		if err == nil || statusOf(err) != http.StatusUnprocessableEntity || !s.a.clk.Now().Before(deadline) {
			return err
		}
		s.log.Debug("channel not in Stasis yet; retrying the bridge add", "channel_id", channelID)
		if err := clock.Sleep(ctx, s.a.clk, stasisRetryEvery); err != nil {
			return fmt.Errorf("add %s to bridge: %w", channelID, err)
		}
	}
}

// RemoveFromBridge takes a channel out of a bridge.
func (s *Session) RemoveFromBridge(ctx context.Context, bridgeID, channelID string) error {
	return s.a.do(ctx, "remove "+channelID+" from bridge", func() error {
		return s.a.client.Bridge().RemoveChannel(brKey(bridgeID), channelID)
	})
}

// DestroyBridge deletes a bridge (Asterisk never deletes empty ones). Already gone is fine.
func (s *Session) DestroyBridge(ctx context.Context, bridgeID string) error {
	err := s.a.do(ctx, "destroy bridge", func() error { return s.a.client.Bridge().Delete(brKey(bridgeID)) })
	if err != nil && !errors.Is(err, app.ErrNotFound) {
		return err
	}
	s.dropBridge(bridgeID)
	return nil
}

// StartMOH plays the default music-on-hold class into a bridge.
func (s *Session) StartMOH(ctx context.Context, bridgeID string) error {
	return s.a.do(ctx, "start moh", func() error { return s.a.client.Bridge().MOH(brKey(bridgeID), "default") })
}

// StopMOH stops music on hold in a bridge.
func (s *Session) StopMOH(ctx context.Context, bridgeID string) error {
	return s.a.do(ctx, "stop moh", func() error { return s.a.client.Bridge().StopMOH(brKey(bridgeID)) })
}

// StartRecording records a bridge (the mixed call) or a channel as WAV under name.
func (s *Session) StartRecording(ctx context.Context, target app.RecordTarget, name string) error {
	if name == "" || strings.ContainsAny(name, "/\\") {
		return fmt.Errorf("recording name %q: %w", name, app.ErrInvalid)
	}
	opts := &ariv5.RecordingOptions{Format: "wav", Exists: "fail"}
	var h *ariv5.LiveRecordingHandle
	var err error
	switch {
	case target.BridgeID != "":
		h, err = s.a.client.Bridge().StageRecord(brKey(target.BridgeID), name, opts)
	case target.ChannelID != "":
		h, err = s.a.client.Channel().StageRecord(chKey(target.ChannelID), name, opts)
	default:
		return fmt.Errorf("recording %s: no bridge or channel: %w", name, app.ErrInvalid)
	}
	if err != nil {
		return fmt.Errorf("stage recording %s: %w", name, err)
	}
	// Failures arrive by event, possibly before the 201: route them first.
	s.mu.Lock()
	s.recordings[name] = struct{}{}
	s.mu.Unlock()
	s.a.trackRecording(name, s)
	if err := s.a.do(ctx, "record "+name, h.Exec); err != nil {
		s.forgetRecording(name)
		return err
	}
	return nil
}

// StopRecording stops a live recording; PBXRecordingFinished follows.
func (s *Session) StopRecording(ctx context.Context, name string) error {
	return s.a.do(ctx, "stop recording "+name, func() error {
		return s.a.client.LiveRecording().Stop(ariv5.NewKey(ariv5.LiveRecordingKey, name))
	})
}

// FetchRecording copies a stored recording's WAV file into w.
func (s *Session) FetchRecording(ctx context.Context, name string, w io.Writer) (int64, error) {
	return s.a.fetchRecording(ctx, name, w)
}

// reconcile runs after a reconnect: channels Asterisk no longer knows are reported gone with
// reason asterisk_restart, vanished bridges are forgotten, then PBXReconnected is queued.
func (s *Session) reconcile(ctx context.Context) {
	s.mu.Lock()
	chans := make([]string, 0, len(s.channels))
	for id := range s.channels {
		chans = append(chans, id)
	}
	brs := make([]string, 0, len(s.bridges))
	for id := range s.bridges {
		brs = append(brs, id)
	}
	s.mu.Unlock()
	for _, id := range chans {
		err := s.a.do(ctx, "get channel "+id, func() error {
			_, err := s.a.client.Channel().Data(chKey(id))
			return err
		})
		if errors.Is(err, app.ErrNotFound) {
			s.enqueue(goneItem{id: id})
		} else if err != nil {
			s.log.Warn("reconcile channel", "channel_id", id, "err", err)
		}
	}
	for _, id := range brs {
		err := s.a.do(ctx, "get bridge", func() error {
			_, err := s.a.client.Bridge().Data(brKey(id))
			return err
		})
		if errors.Is(err, app.ErrNotFound) {
			s.dropBridge(id)
		}
	}
	s.enqueue(app.PBXEvent{Kind: app.PBXReconnected, At: s.a.clk.Now()})
}

// Close tears down everything the session still owns: media sockets first, then live
// recordings, channels (media plumbing before call legs) and bridges. It is idempotent and runs
// with its own timeouts even when ctx is already cancelled.
func (s *Session) Close(ctx context.Context) error {
	s.closeOnce.Do(func() {
		ctx := context.WithoutCancel(ctx)
		s.mu.Lock()
		s.closing = true
		s.mu.Unlock()
		s.creating.Wait() // what the admitted creations make is in the inventory below
		s.mu.Lock()
		closers := s.closers
		s.closers = nil
		var media, legs []string
		for id, ci := range s.channels {
			if ci.kind == kindOriginated || ci.kind == kindAdopted {
				legs = append(legs, id)
			} else {
				media = append(media, id)
			}
		}
		recs := make([]string, 0, len(s.recordings))
		for n := range s.recordings {
			recs = append(recs, n)
		}
		brs := make([]string, 0, len(s.bridges))
		for id := range s.bridges {
			brs = append(brs, id)
		}
		s.mu.Unlock()

		var errs []error
		for _, c := range closers {
			_ = c.Close()
		}
		for _, n := range recs {
			if err := s.StopRecording(ctx, n); err != nil && !errors.Is(err, app.ErrNotFound) {
				s.log.Debug("stop recording on close", "name", n, "err", err)
			}
		}
		for _, id := range append(media, legs...) {
			if err := s.Hangup(ctx, id, "normal"); err != nil {
				errs = append(errs, err)
			}
		}
		for _, id := range brs {
			if err := s.DestroyBridge(ctx, id); err != nil {
				errs = append(errs, err)
			}
		}
		close(s.done)
		<-s.pumpDone
		s.a.removeSession(s)
		s.closeErr = errors.Join(errs...)
		s.log.Debug("session closed", "channels", len(media)+len(legs), "bridges", len(brs))
	})
	return s.closeErr
}

func (s *Session) addCloser(c io.Closer) {
	s.mu.Lock()
	s.closers = append(s.closers, c)
	s.mu.Unlock()
}

func (s *Session) removeCloser(c io.Closer) {
	s.mu.Lock()
	for i, x := range s.closers {
		if x == c {
			s.closers = append(s.closers[:i], s.closers[i+1:]...)
			break
		}
	}
	s.mu.Unlock()
}

// channelVar reads a channel variable.
func (s *Session) channelVar(ctx context.Context, id, name string) (string, error) {
	var v string
	err := s.a.do(ctx, "get variable "+name, func() error {
		var err error
		v, err = s.a.client.Channel().GetVariable(chKey(id), name)
		return err
	})
	return v, err
}

// rtpPeer reads where Asterisk expects RTP for an externalMedia channel.
func (s *Session) rtpPeer(ctx context.Context, id string) (string, error) {
	addr, err := s.channelVar(ctx, id, "UNICASTRTP_LOCAL_ADDRESS")
	if err != nil {
		return "", err
	}
	port, err := s.channelVar(ctx, id, "UNICASTRTP_LOCAL_PORT")
	if err != nil {
		return "", err
	}
	if _, err := strconv.Atoi(port); err != nil {
		return "", fmt.Errorf("rtp port %q: %w", port, app.ErrInvalid)
	}
	if addr == "" || addr == "0.0.0.0" || addr == "::" {
		addr = s.a.ariHost()
	}
	return net.JoinHostPort(addr, port), nil
}
