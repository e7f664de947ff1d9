package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/holdslayer/holdslayer/app/clock"
)

// Event types for the PBX connection as one call saw it; the timeline shows them so a gap in a
// call's audio has an explanation.
const (
	EventPBXDisconnected EventType = "pbx_disconnected"
	EventPBXReconnected  EventType = "pbx_reconnected"
)

// End reasons a call records (Call.EndReason, call_ended.reason, call_failed.error).
const (
	ReasonUserHangup      = "user_hangup"
	ReasonRemoteHangup    = "remote_hangup"
	ReasonDeviceHangup    = "device_hangup"
	ReasonCallerHangup    = "caller_hangup"
	ReasonBusy            = "busy"
	ReasonNoAnswer        = "no_answer"
	ReasonAsteriskRestart = "asterisk_restart"
	ReasonMaxCall         = "max_call_duration"
	ReasonMaxHold         = "max_hold_duration"
	ReasonShutdown        = "shutdown"
	ReasonDeviceNoAnswer  = "device_no_answer"
)

// teardownTimeout bounds the cleanup of one call after it ended.
const teardownTimeout = 15 * time.Second

type cmdKind int

const (
	cmdHangup cmdKind = iota + 1
	cmdTransfer
	cmdDTMF
)

// command is a request from outside the call's goroutine; reply gets the outcome.
type command struct {
	kind   cmdKind
	device string
	digits string
	reply  chan error
}

// endCause is why a call ended; it is the cancel cause of the call's context.
type endCause struct {
	status CallStatus // StatusEnded or StatusFailed
	reason string
	detail string
}

func (e *endCause) Error() string {
	if e.detail != "" {
		return e.reason + ": " + e.detail
	}
	return e.reason
}

func ended(reason string) *endCause  { return &endCause{status: StatusEnded, reason: reason} }
func failed(reason string) *endCause { return &endCause{status: StatusFailed, reason: reason} }
func failedf(reason, format string, args ...any) *endCause {
	return &endCause{status: StatusFailed, reason: reason, detail: fmt.Sprintf(format, args...)}
}

// liveSnap is what readers of a live call see; holdSince lets them add the running hold.
type liveSnap struct {
	c         Call
	holdSince time.Time
	at        time.Time
}

// call is one live call. Its goroutine (run) owns every field below "owned"; other goroutines
// only send commands and read the published snapshot.
type call struct {
	eng  *Engine
	id   string
	req  CallRequest
	flow *CallFlow
	log  *slog.Logger
	clk  clock.Clock
	sess Session

	cmds  chan command
	ended chan struct{} // closed once teardown has finished
	snap  atomic.Pointer[liveSnap]

	ctx    context.Context
	cancel context.CancelCauseFunc
	once   sync.Once

	// owned by the call's goroutine
	state      Call
	holdSince  time.Time
	companyCh  string
	companyUp  bool
	callBridge string
	holdBridge string
	inboundCh  string
	deviceUp   bool

	audio    AudioSource
	frames   <-chan AudioFrame
	analyzer AudioAnalyzer
	class    classState

	ringTimer, maxCallTimer, maxHoldTimer, stepTimer, devTimer clock.Timer

	nav  navState
	xfer *transfer

	// speech and navigation (listen.go, speak.go, navigate.go, human.go)
	ears     *ears
	navi     Navigator
	navQueue []NavAction
	// answeredAt is when the navigator last pressed keys or spoke: speech that started before
	// it belongs to a prompt already answered.
	answeredAt  time.Time
	navTimer    clock.Timer
	thinking    bool
	speaker     AudioSink
	speaking    string // purpose of the phrase being played, "" when quiet
	check       *humanCheck
	heard       []HeardText
	agentSince  time.Time
	learned     bool
	reachedHold bool
	sttC        chan sttResult
	speakC      chan speakDone
	thinkC      chan NavOutput
	bg          sync.WaitGroup // STT, TTS and LLM goroutines

	judgeGen    int
	judgeCancel context.CancelFunc
	judgeC      chan judgeResult
	judgeWG     sync.WaitGroup
	recordings  []*recording
	onsetOfCall time.Time

	// recheckAt is when, after an acoustic withdrawal, the next stretch of voice becomes a
	// candidate again (zero: not armed); rechecks counts those candidates.
	recheckAt time.Time
	rechecks  int
}

func newCall(e *Engine, id string, req CallRequest, flow *CallFlow) *call {
	ctx, cancel := context.WithCancelCause(e.ctx)
	now := e.clk.Now()
	c := &call{
		eng: e, id: id, req: req, flow: flow, clk: e.clk,
		log:   e.log.With("call_id", id),
		cmds:  make(chan command),
		ended: make(chan struct{}),
		ctx:   ctx, cancel: cancel,
		judgeC:    make(chan judgeResult),
		sttC:      make(chan sttResult),
		speakC:    make(chan speakDone),
		thinkC:    make(chan NavOutput),
		inboundCh: req.InboundChannel,
		state: Call{
			ID: id, Number: req.Number, Mode: req.Mode, Intent: req.Intent, Status: StatusTrying,
			Device: req.Device, CallFlowID: req.CallFlowID, Services: req.Services, StartedAt: now,
		},
	}
	if flow != nil {
		c.state.CallFlowID = flow.ID
		c.state.Company = flow.Company
	}
	if req.Mode == ModeAIAssisted {
		c.state.Services.Recording = true
	}
	return c
}

// snapshot is the call as readers see it now.
func (c *call) snapshot() Call {
	s := c.snap.Load()
	if s == nil {
		return Call{ID: c.id, Status: StatusTrying}
	}
	out := s.c
	if !s.holdSince.IsZero() {
		out.HoldSeconds += c.clk.Now().Sub(s.holdSince).Seconds()
	}
	return out
}

// publish makes the goroutine's current state visible to readers and returns it.
func (c *call) publish() Call {
	c.snap.Store(&liveSnap{c: c.state, holdSince: c.holdSince, at: c.clk.Now()})
	return c.state
}

// emit publishes an event of this call on the bus.
func (c *call) emit(t EventType, data map[string]any) {
	c.eng.cfg.Bus.Publish(c.ctx, Event{Type: t, CallID: c.id, Timestamp: c.clk.Now().UTC(), Data: data})
}

// setStatus moves the call to s, keeping hold time and the hold limit, and says so.
func (c *call) setStatus(s CallStatus) {
	prev := c.state.Status
	if prev == s {
		return
	}
	now := c.clk.Now()
	if prev == StatusOnHold && !c.holdSince.IsZero() {
		c.state.HoldSeconds += now.Sub(c.holdSince).Seconds()
		c.holdSince = time.Time{}
		stopTimer(&c.maxHoldTimer)
	}
	if s == StatusOnHold {
		c.holdSince = now
		left := c.eng.limits.MaxHoldDuration - secs(c.state.HoldSeconds)
		stopTimer(&c.maxHoldTimer)
		c.maxHoldTimer = c.clk.NewTimer(max(left, 0))
	}
	c.state.Status = s
	c.publish()
	c.emit(EventStatusChanged, map[string]any{"status": string(s), "previous": string(prev)})
	c.store()
}

func (c *call) store() {
	st := c.state
	if !c.holdSince.IsZero() {
		st.HoldSeconds += c.clk.Now().Sub(c.holdSince).Seconds()
	}
	if err := c.eng.cfg.Store.UpdateCall(context.WithoutCancel(c.ctx), &st); err != nil {
		c.log.Error("store call state", "err", err)
	}
}

func (c *call) holdSecondsNow() float64 {
	h := c.state.HoldSeconds
	if !c.holdSince.IsZero() {
		h += c.clk.Now().Sub(c.holdSince).Seconds()
	}
	return h
}

func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// round1 rounds seconds to a tenth for event payloads.
func round1(s float64) float64 { return math.Round(s*10) / 10 }

func timerC(t clock.Timer) <-chan time.Time {
	if t == nil {
		return nil
	}
	return t.C()
}

func stopTimer(t *clock.Timer) {
	if *t != nil {
		(*t).Stop()
		*t = nil
	}
}

// run is the call's goroutine: set-up, the event loop, then teardown, whatever ended it.
func (c *call) run() {
	ec := c.cancelled(c.loop())
	c.cancel(ec)
	c.once.Do(func() { c.teardown(ec) })
}

// cancelled reclassifies a failure that happened because the call's context ended: a
// shutdown (or any cancel) that interrupts set-up makes PBX requests fail, and the call ended
// for the cancel's reason, not because the PBX failed.
func (c *call) cancelled(ec *endCause) *endCause {
	if ec == nil || ec.status != StatusFailed || c.ctx.Err() == nil {
		return ec
	}
	cause := context.Cause(c.ctx)
	if errors.Is(cause, errShutdown) {
		return ended(ReasonShutdown)
	}
	var own *endCause
	if errors.As(cause, &own) {
		return own
	}
	return ended(cause.Error())
}

func (c *call) loop() *endCause {
	c.maxCallTimer = c.clk.NewTimer(c.eng.limits.MaxCallDuration)
	if ec := c.start(); ec != nil {
		return ec
	}
	events := c.sess.Events()
	for {
		var ec *endCause
		select {
		case <-c.ctx.Done():
			if errors.Is(context.Cause(c.ctx), errShutdown) {
				return ended(ReasonShutdown)
			}
			return ended(context.Cause(c.ctx).Error())
		case ev, ok := <-events:
			if !ok {
				return failedf("pbx_session_closed", "the telephony session closed under the call")
			}
			ec = c.onPBX(ev)
		case fr, ok := <-c.frames:
			if !ok {
				c.log.Warn("audio source closed")
				c.frames = nil
				continue
			}
			ec = c.onFrame(fr)
		case cmd := <-c.cmds:
			ec = c.onCommand(cmd)
		case jr := <-c.judgeC:
			ec = c.onJudged(jr)
		case r := <-c.sttC:
			ec = c.onTranscript(r)
		case d := <-c.speakC:
			ec = c.onSpoken(d)
		case out := <-c.thinkC:
			ec = c.onThought(out)
		case <-timerC(c.navTimer):
			c.navTimer = nil
			ec = c.onNavTick()
		case <-checkTimerC(c.check):
			ec = c.onCheckTimer()
		case <-timerC(c.ringTimer):
			c.ringTimer = nil
			c.hangupChannel(c.companyCh, "normal")
			ec = failedf(ReasonNoAnswer, "the company did not answer within %s", c.eng.limits.RingTimeout)
		case <-timerC(c.maxCallTimer):
			c.maxCallTimer = nil
			ec = ended(ReasonMaxCall)
		case <-timerC(c.maxHoldTimer):
			c.maxHoldTimer = nil
			ec = ended(ReasonMaxHold)
		case <-timerC(c.stepTimer):
			c.stepTimer = nil
			ec = c.onStepTimeout()
		case <-timerC(c.devTimer):
			c.devTimer = nil
			ec = c.onDeviceTimeout()
		}
		if ec != nil {
			return ec
		}
	}
}

// start sets up the call's PBX side: the waiting caller (dialplan entry), the call bridge and
// the company leg, and for direct calls the device leg.
func (c *call) start() *endCause {
	ctx := c.ctx
	if c.inboundCh != "" {
		if ec := c.holdInbound(ctx); ec != nil {
			return ec
		}
	}
	br, err := c.sess.CreateBridge(ctx, BridgeMixing)
	if err != nil {
		return failedf("pbx_error", "create call bridge: %v", err)
	}
	c.callBridge = br
	ep := companyEndpoint(c.eng.cfg.DialTemplate, c.req.Number)
	ch, err := c.sess.Originate(ctx, ep, OriginateOptions{Timeout: c.eng.limits.RingTimeout})
	if err != nil {
		return failedf("pbx_error", "originate %s: %v", ep, err)
	}
	c.companyCh = ch
	c.log = c.log.With("company_channel", ch)
	c.ringTimer = c.clk.NewTimer(c.eng.limits.RingTimeout)
	c.log.Info("dialling company", "endpoint", ep)
	if c.req.Mode != ModeHoldSlayer {
		if ec, _ := c.startTransfer(c.req.Device, true); ec != nil {
			return ec
		}
	}
	return nil
}

// holdInbound answers the user's own channel and parks it in a holding bridge with music.
func (c *call) holdInbound(ctx context.Context) *endCause {
	if err := c.sess.Adopt(ctx, c.inboundCh); err != nil {
		return failedf("pbx_error", "adopt caller channel: %v", err)
	}
	if err := c.sess.Answer(ctx, c.inboundCh); err != nil {
		return failedf("pbx_error", "answer caller channel: %v", err)
	}
	br, err := c.sess.CreateBridge(ctx, BridgeHolding)
	if err != nil {
		return failedf("pbx_error", "create holding bridge: %v", err)
	}
	c.holdBridge = br
	if err := c.sess.AddToBridge(ctx, br, c.inboundCh); err != nil {
		return failedf("pbx_error", "park caller: %v", err)
	}
	if err := c.sess.StartMOH(ctx, br); err != nil {
		c.log.Warn("music on hold for the caller", "err", err)
	}
	return nil
}

// onPBX handles one PBX event.
func (c *call) onPBX(ev PBXEvent) *endCause {
	switch ev.Kind {
	case PBXRinging:
		if ev.ChannelID == c.companyCh && c.state.Status == StatusTrying {
			c.setStatus(StatusRinging)
			c.emit(EventCallRinging, map[string]any{"number": c.req.Number})
		}
	case PBXAnswered:
		switch {
		case ev.ChannelID == c.companyCh:
			return c.onCompanyAnswered()
		case c.xfer != nil && ev.ChannelID == c.xfer.channel:
			return c.onDeviceAnswered()
		}
	case PBXHangup:
		return c.onHangup(ev)
	case PBXDTMF:
		c.log.Info("dtmf received", "channel_id", ev.ChannelID, "digit", ev.Digit)
	case PBXRecordingFinished, PBXRecordingFailed:
		c.onRecordingEvent(ev)
	case PBXDisconnected:
		c.log.Warn("telephony connection lost")
		c.emit(EventPBXDisconnected, map[string]any{"status": string(c.state.Status)})
	case PBXReconnected:
		c.log.Info("telephony connection back")
		c.emit(EventPBXReconnected, map[string]any{"status": string(c.state.Status)})
	}
	return nil
}

func (c *call) onCompanyAnswered() *endCause {
	if c.companyUp {
		return nil
	}
	c.companyUp = true
	stopTimer(&c.ringTimer)
	now := c.clk.Now()
	c.state.AnsweredAt = &now
	c.setStatus(StatusConnected)
	c.emit(EventCallConnected, map[string]any{"number": c.req.Number, "duration": round1(now.Sub(c.state.StartedAt).Seconds())})
	if err := c.sess.AddToBridge(c.ctx, c.callBridge, c.companyCh); err != nil {
		return failedf("pbx_error", "bridge company: %v", err)
	}
	if c.state.Services.Recording {
		c.startRecordings()
	}
	switch c.req.Mode {
	case ModeHoldSlayer:
		if err := c.startListening(); err != nil {
			return failedf("listen_failed", "%v", err)
		}
		return c.startNavigator()
	case ModeAIAssisted:
		if err := c.startListening(); err != nil {
			c.log.Warn("listening failed; call continues without classification", "err", err)
		}
	}
	return nil
}

func (c *call) onHangup(ev PBXEvent) *endCause {
	restart := ev.Reason == ReasonAsteriskRestart
	switch {
	case ev.ChannelID == c.companyCh:
		c.companyCh = ""
		if restart {
			if c.companyUp {
				return ended(ReasonAsteriskRestart)
			}
			return failed(ReasonAsteriskRestart)
		}
		if c.companyUp {
			return ended(ReasonRemoteHangup)
		}
		stopTimer(&c.ringTimer)
		return failedf(hangupOutcome(ev), "company leg ended before answer (cause %d, %s)", ev.Cause, ev.Reason)
	case c.xfer != nil && ev.ChannelID == c.xfer.channel:
		if restart {
			return ended(ReasonAsteriskRestart)
		}
		if c.deviceUp {
			return ended(ReasonDeviceHangup)
		}
		return c.onDeviceGone(fmt.Sprintf("hung up before answer (cause %d)", ev.Cause))
	case ev.ChannelID != "" && ev.ChannelID == c.inboundCh:
		c.inboundCh = ""
		if restart {
			return ended(ReasonAsteriskRestart)
		}
		return ended(ReasonCallerHangup)
	}
	return nil
}

// hangupOutcome classifies a company leg that ended before it was answered.
func hangupOutcome(ev PBXEvent) string {
	switch {
	case ev.Reason == "busy" || ev.Cause == 17:
		return ReasonBusy
	case ev.Reason == "no_answer" || ev.Cause == 18 || ev.Cause == 19 || ev.Cause == 21:
		return ReasonNoAnswer
	case ev.Reason == "congestion" || ev.Cause == 34 || ev.Cause == 38 || ev.Cause == 42:
		return "congestion"
	case ev.Cause == 1 || ev.Cause == 28:
		return "invalid_number"
	}
	return "rejected"
}

// hangupChannel hangs up one of the call's channels, logging failures (it may already be gone).
func (c *call) hangupChannel(ch, reason string) {
	if ch == "" {
		return
	}
	if err := c.sess.Hangup(context.WithoutCancel(c.ctx), ch, reason); err != nil {
		c.log.Debug("hang up channel", "channel_id", ch, "err", err)
	}
}

func (c *call) onCommand(cmd command) *endCause {
	switch cmd.kind {
	case cmdHangup:
		cmd.reply <- nil
		return ended(ReasonUserHangup)
	case cmdTransfer:
		ec, err := c.commandTransfer(cmd.device)
		cmd.reply <- err
		return ec
	case cmdDTMF:
		err := c.sendDTMF(cmd.digits, "")
		if err == nil && c.navi != nil {
			c.navi.Did(c.clk.Now(), NavAction{Kind: NavDTMF, Digits: cmd.digits, Reason: "user"})
		}
		cmd.reply <- err
	}
	return nil
}

func (c *call) commandTransfer(device string) (*endCause, error) {
	switch {
	case !c.companyUp:
		return nil, fmt.Errorf("call %s is not connected yet: %w", c.id, ErrConflict)
	case c.deviceUp || c.state.Status == StatusTransferred:
		return nil, fmt.Errorf("call %s is already transferred: %w", c.id, ErrConflict)
	case c.xfer != nil:
		return nil, fmt.Errorf("call %s is already being transferred: %w", c.id, ErrConflict)
	}
	if c.judgeCancel != nil {
		c.judgeCancel()
		c.judgeCancel = nil
	}
	c.stopFlow()
	c.stopNav()
	c.stopCheck()
	return c.startTransfer(device, false)
}

// sendDTMF plays digits to the company and logs them as ivr_dtmf_sent.
func (c *call) sendDTMF(digits, stepID string) error {
	if !c.companyUp {
		return fmt.Errorf("call %s is not connected yet: %w", c.id, ErrConflict)
	}
	if err := c.sess.SendDTMF(c.ctx, c.companyCh, digits); err != nil {
		return fmt.Errorf("send dtmf on %s: %w", c.id, err)
	}
	c.emit(EventIVRDTMFSent, map[string]any{"digits": digits, "step_id": stepID})
	return nil
}

// teardown releases everything the call holds and records how it ended. It runs once, under a
// context that outlives the call's own.
func (c *call) teardown(ec *endCause) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.ctx), teardownTimeout)
	defer cancel()
	for _, t := range []*clock.Timer{&c.ringTimer, &c.maxCallTimer, &c.maxHoldTimer, &c.stepTimer, &c.devTimer, &c.navTimer} {
		stopTimer(t)
	}
	c.stopCheck()
	if c.judgeCancel != nil {
		c.judgeCancel()
	}
	c.judgeWG.Wait()
	c.bg.Wait() // c.ctx is cancelled: STT, TTS and LLM goroutines return
	if c.companyUp && !c.reachedHold && c.flow != nil {
		c.learn(false) // navigation never got this call to hold or a person
	}
	c.closeSpeaker()
	c.stopListening()
	c.finishRecordings(ctx)

	drained := make(chan struct{})
	if c.sess != nil {
		go func() {
			defer close(drained)
			for range c.sess.Events() {
			}
		}()
		if err := c.sess.Close(ctx); err != nil {
			c.log.Error("close telephony session", "err", err)
		}
		select {
		case <-drained:
		case <-ctx.Done():
			c.log.Error("telephony session events not closed after close")
		}
	}

	now := c.clk.Now()
	prev := c.state.Status
	if !c.holdSince.IsZero() {
		c.state.HoldSeconds += now.Sub(c.holdSince).Seconds()
		c.holdSince = time.Time{}
	}
	c.state.Status = ec.status
	c.state.EndedAt = &now
	c.state.EndReason = ec.reason
	c.publish()
	if err := c.eng.cfg.Store.UpdateCall(ctx, &c.state); err != nil {
		c.log.Error("store final call state", "err", err)
	}
	c.emit(EventStatusChanged, map[string]any{"status": string(ec.status), "previous": string(prev)})
	dur := round1(c.state.Duration(now).Seconds())
	if ec.status == StatusFailed {
		c.emit(EventCallFailed, map[string]any{"number": c.req.Number, "error": ec.Error(), "reason": ec.reason, "duration": dur})
	} else {
		c.emit(EventCallEnded, map[string]any{"number": c.req.Number, "duration": dur, "reason": ec.reason})
	}
	c.log.Info("call over", "status", ec.status, "reason", ec.Error(), "duration_s", dur)

	c.eng.mu.Lock()
	delete(c.eng.calls, c.id)
	c.eng.mu.Unlock()
	close(c.ended)
}
