// Package scripted is a small app.Calls that plays a hold_slayer call through its life
// (navigating, on_hold, human_detected, transferred) by publishing events on a real app.Bus and
// writing a real store. The dashboard and MCP tests drive it until the simulated Asterisk demo
// can take its place; nothing in it answers a real phone.
package scripted

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/holdslayer/holdslayer/app"
)

// Stage is one step of the script; a gate, when configured, is waited on before each.
type Stage string

// The stages a scripted hold_slayer call goes through, in order.
const (
	StageNavigating    Stage = "navigating"
	StageOnHold        Stage = "on_hold"
	StageHumanDetected Stage = "human_detected"
	StageTransferred   Stage = "transferred"
)

// Stages lists the script in order, so tests can walk it.
var Stages = []Stage{StageNavigating, StageOnHold, StageHumanDetected, StageTransferred}

// Options tune the script.
type Options struct {
	// Step is the pause between two events inside a stage (default 20 ms).
	Step time.Duration
	// Gate, when non-nil, is received from before each stage starts, so a test can look at
	// the call between stages. A nil Gate runs the script straight through.
	Gate <-chan struct{}
	// Device is the device name the call is "transferred" to when the request names none.
	Device string
	Log    *slog.Logger
}

// Engine implements app.Calls for tests and previews.
type Engine struct {
	store app.Store
	bus   *app.Bus
	opt   Options

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu   sync.Mutex
	live map[string]*liveCall
	// Placed records every request that reached Place, for assertions.
	placed []app.CallRequest
	dtmf   []string
}

type liveCall struct {
	call   app.Call
	cancel context.CancelFunc
}

var _ app.Calls = (*Engine)(nil)

// New returns an engine writing to st and publishing on bus. Close it to stop every script.
func New(st app.Store, bus *app.Bus, opt Options) *Engine {
	if opt.Step <= 0 {
		opt.Step = 20 * time.Millisecond
	}
	if opt.Device == "" {
		opt.Device = "Desk phone"
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Engine{store: st, bus: bus, opt: opt, ctx: ctx, cancel: cancel, live: map[string]*liveCall{}}
}

// Close stops every running script and waits for them.
func (e *Engine) Close() {
	e.cancel()
	e.wg.Wait()
}

// Placed returns the requests Place accepted.
func (e *Engine) Placed() []app.CallRequest {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]app.CallRequest(nil), e.placed...)
}

// DTMF returns the digits SendDTMF accepted, as "call_id:digits".
func (e *Engine) DTMF() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.dtmf...)
}

// Ready reports true: the script always accepts calls.
func (e *Engine) Ready() bool { return true }

// Place stores the call and starts its script.
func (e *Engine) Place(ctx context.Context, req app.CallRequest) (app.Call, error) {
	if !req.Mode.Valid() {
		return app.Call{}, fmt.Errorf("unknown mode %q: %w", req.Mode, app.ErrInvalid)
	}
	c := app.Call{Number: req.Number, Mode: req.Mode, Intent: req.Intent, Device: req.Device,
		CallFlowID: req.CallFlowID, Services: req.Services, Status: app.StatusTrying, Company: "Scripted Bank"}
	if err := e.store.CreateCall(ctx, &c); err != nil {
		return app.Call{}, fmt.Errorf("store new call: %w", err)
	}
	cctx, cancel := context.WithCancel(e.ctx)
	e.mu.Lock()
	e.live[c.ID] = &liveCall{call: c, cancel: cancel}
	e.placed = append(e.placed, req)
	e.mu.Unlock()
	e.publish(c.ID, app.EventCallStarted, map[string]any{"number": c.Number, "mode": string(c.Mode), "intent": c.Intent})
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		e.run(cctx, c.ID)
	}()
	return c, nil
}

// Get returns the live call, or the stored one once it ended.
func (e *Engine) Get(ctx context.Context, id string) (app.Call, error) {
	e.mu.Lock()
	lc, ok := e.live[id]
	var c app.Call
	if ok {
		c = lc.call
	}
	e.mu.Unlock()
	if ok {
		return c, nil
	}
	return e.store.GetCall(ctx, id)
}

// Active lists calls that have not ended.
func (e *Engine) Active(context.Context) []app.Call {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]app.Call, 0, len(e.live))
	for _, lc := range e.live {
		out = append(out, lc.call)
	}
	return out
}

// Hangup ends a live call with reason user_hangup.
func (e *Engine) Hangup(ctx context.Context, id string) error {
	e.mu.Lock()
	lc, ok := e.live[id]
	e.mu.Unlock()
	if !ok {
		if _, err := e.store.GetCall(ctx, id); err != nil {
			return err
		}
		return fmt.Errorf("call already ended: %s: %w", id, app.ErrConflict)
	}
	lc.cancel()
	e.end(id, "user_hangup")
	return nil
}

// Transfer starts a transfer now, as "pick up now" does.
func (e *Engine) Transfer(ctx context.Context, id, device string) error {
	if _, err := e.liveCall(id); err != nil {
		return err
	}
	if device == "" {
		device = e.opt.Device
	}
	e.setStatus(id, app.StatusTransferring, nil)
	e.publish(id, app.EventTransferStarted, map[string]any{"device": device, "from_call_id": id})
	e.setStatus(id, app.StatusTransferred, func(c *app.Call) { c.Device = device })
	e.publish(id, app.EventTransferComplete, map[string]any{"device": device, "bridge_id": "bridge-" + id})
	return nil
}

// SendDTMF records the digits and reports them as sent.
func (e *Engine) SendDTMF(ctx context.Context, id, digits string) error {
	if _, err := e.liveCall(id); err != nil {
		return err
	}
	e.mu.Lock()
	e.dtmf = append(e.dtmf, id+":"+digits)
	e.mu.Unlock()
	e.publish(id, app.EventIVRDTMFSent, map[string]any{"digits": digits, "step_id": "manual"})
	return nil
}

func (e *Engine) liveCall(id string) (app.Call, error) {
	e.mu.Lock()
	lc, ok := e.live[id]
	e.mu.Unlock()
	if ok {
		return lc.call, nil
	}
	if _, err := e.store.GetCall(context.Background(), id); err != nil {
		return app.Call{}, err
	}
	return app.Call{}, fmt.Errorf("call already ended: %s: %w", id, app.ErrConflict)
}

func (e *Engine) publish(id string, typ app.EventType, data map[string]any) {
	e.bus.Publish(context.Background(), app.Event{Type: typ, CallID: id, Timestamp: time.Now(), Data: data})
}

// setStatus changes the live call, stores it and announces the change.
func (e *Engine) setStatus(id string, s app.CallStatus, change func(c *app.Call)) {
	e.mu.Lock()
	lc, ok := e.live[id]
	if !ok {
		e.mu.Unlock()
		return
	}
	prev := lc.call.Status
	lc.call.Status = s
	if change != nil {
		change(&lc.call)
	}
	c := lc.call
	e.mu.Unlock()
	if err := e.store.UpdateCall(context.Background(), &c); err != nil {
		e.opt.Log.Error("store call", "call_id", id, "err", err)
	}
	e.publish(id, app.EventStatusChanged, map[string]any{"status": string(s), "previous": string(prev)})
}

func (e *Engine) update(id string, change func(c *app.Call)) {
	e.mu.Lock()
	lc, ok := e.live[id]
	if ok {
		change(&lc.call)
	}
	e.mu.Unlock()
}

// end finishes the call once: stored as ended, removed from the live map, call_ended sent.
func (e *Engine) end(id, reason string) {
	e.mu.Lock()
	lc, ok := e.live[id]
	if !ok {
		e.mu.Unlock()
		return
	}
	delete(e.live, id)
	now := time.Now()
	prev := lc.call.Status
	c := lc.call
	c.Status, c.EndedAt, c.EndReason = app.StatusEnded, &now, reason
	e.mu.Unlock()
	if err := e.store.UpdateCall(context.Background(), &c); err != nil {
		e.opt.Log.Error("store ended call", "call_id", id, "err", err)
	}
	e.publish(id, app.EventStatusChanged, map[string]any{"status": string(app.StatusEnded), "previous": string(prev)})
	e.publish(id, app.EventCallEnded, map[string]any{"number": c.Number, "duration": now.Sub(c.StartedAt).Seconds(), "reason": reason})
}

// run plays the script until it reaches transferred (the call then stays up until hung up)
// or ctx ends.
func (e *Engine) run(ctx context.Context, id string) {
	pause := func() bool {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(e.opt.Step):
			return true
		}
	}
	gate := func() bool {
		if e.opt.Gate == nil {
			return pause()
		}
		select {
		case <-ctx.Done():
			return false
		case <-e.opt.Gate:
			return true
		}
	}
	classify := func(audio string, conf float64) {
		e.update(id, func(c *app.Call) { c.AudioType = audio })
		e.publish(id, app.EventAudioClassified, map[string]any{"audio_type": audio, "confidence": conf, "features": map[string]any{}})
	}
	say := func(speaker, text string) {
		now := time.Now()
		seg := app.TranscriptSegment{CallID: id, Speaker: speaker, Text: text, IsFinal: true, StartAt: now.Add(-time.Second), EndAt: now}
		if err := e.store.AddTranscript(context.Background(), &seg); err != nil {
			e.opt.Log.Error("store transcript", "call_id", id, "err", err)
		}
		e.update(id, func(c *app.Call) { c.TranscriptExcerpt = text })
		e.publish(id, app.EventTranscriptChunk, map[string]any{"text": text, "speaker": speaker, "is_final": true})
	}
	holdStart := time.Time{}

	steps := []func() bool{
		func() bool { // navigating
			if !gate() {
				return false
			}
			e.setStatus(id, app.StatusRinging, nil)
			e.publish(id, app.EventCallRinging, map[string]any{"number": "scripted"})
			classify("ringing", 0.95)
			if !pause() {
				return false
			}
			now := time.Now()
			e.setStatus(id, app.StatusConnected, func(c *app.Call) { c.AnsweredAt = &now })
			e.publish(id, app.EventCallConnected, map[string]any{"number": "scripted", "duration": 1.0})
			e.setStatus(id, app.StatusNavigating, nil)
			classify("speech", 0.9)
			say("company", "Welcome to Scripted Bank. For account services press 3.")
			e.publish(id, app.EventIVRStep, map[string]any{"step_id": "menu", "step_type": "LISTEN", "description": "Main menu"})
			if !pause() {
				return false
			}
			e.publish(id, app.EventIVRStep, map[string]any{"step_id": "press3", "step_type": "DTMF", "description": "Account services"})
			e.publish(id, app.EventIVRDTMFSent, map[string]any{"digits": "3", "step_id": "press3"})
			classify("dtmf", 0.99)
			return true
		},
		func() bool { // on_hold
			if !gate() {
				return false
			}
			holdStart = time.Now()
			classify("music", 0.92)
			e.setStatus(id, app.StatusOnHold, nil)
			e.publish(id, app.EventHoldDetected, map[string]any{"audio_type": "music", "confidence": 0.92, "hold_duration": 0.0})
			say("company", "Your call is important to us. The expected wait time is about 4 minutes.")
			wait := 240.0
			e.update(id, func(c *app.Call) { c.EstimatedWaitSeconds = &wait })
			e.publish(id, app.EventWaitEstimated, map[string]any{"seconds": wait, "source": "announcement"})
			for range 3 {
				if !pause() {
					return false
				}
				classify("music", 0.93)
			}
			return true
		},
		func() bool { // human_detected
			if !gate() {
				return false
			}
			held := time.Since(holdStart).Seconds()
			e.update(id, func(c *app.Call) { c.HoldSeconds = held })
			classify("speech", 0.88)
			say("agent", "Hi, this is Sarah, how can I help you today?")
			e.setStatus(id, app.StatusHumanDetected, nil)
			e.publish(id, app.EventHumanDetected, map[string]any{"confidence": 0.91,
				"transcript_excerpt": "Hi, this is Sarah, how can I help you today?", "hold_duration": held})
			return true
		},
		func() bool { // transferred
			if !gate() {
				return false
			}
			dev := e.opt.Device
			e.mu.Lock()
			if lc, ok := e.live[id]; ok && lc.call.Device != "" {
				dev = lc.call.Device
			}
			e.mu.Unlock()
			e.setStatus(id, app.StatusTransferring, nil)
			e.publish(id, app.EventTransferStarted, map[string]any{"device": dev, "from_call_id": id})
			if !pause() {
				return false
			}
			e.setStatus(id, app.StatusTransferred, func(c *app.Call) { c.Device = dev })
			e.publish(id, app.EventTransferComplete, map[string]any{"device": dev, "bridge_id": "bridge-" + id})
			return true
		},
	}
	for _, step := range steps {
		if !step() {
			return
		}
	}
	<-ctx.Done()
}
