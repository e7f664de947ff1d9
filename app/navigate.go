package app

import (
	"context"
	"log/slog"
	"strings"
	"time"
)

// Event types the speech and navigation layer adds.
const (
	// EventSTTDegraded says, once per outage, that transcription is unavailable and hold and
	// human detection continue from audio alone.
	EventSTTDegraded EventType = "stt_degraded"
	// EventSTTRestored says transcription works again after an outage.
	EventSTTRestored EventType = "stt_restored"
	// EventFlowLearned says a call flow was created or updated from this call.
	EventFlowLearned EventType = "flow_learned"
)

// Transcript speakers (transcript_chunk.speaker, TranscriptSegment.Speaker).
const (
	SpeakerCompany    = "company"
	SpeakerAgent      = "agent"
	SpeakerUser       = "user"
	SpeakerHoldSlayer = "holdslayer"
)

// NavActionKind is what a Navigator asks the call to do; the values are the navigator
// package's action kinds.
type NavActionKind string

// Navigator actions.
const (
	NavDTMF          NavActionKind = "dtmf"
	NavSpeak         NavActionKind = "speak"
	NavWait          NavActionKind = "wait"
	NavListen        NavActionKind = "listen"
	NavExpectHold    NavActionKind = "expect_hold"
	NavHumanReported NavActionKind = "human_reported"
	NavTransfer      NavActionKind = "transfer"
	NavHangup        NavActionKind = "hangup"
)

// NavAction is one instruction of a Navigator.
type NavAction struct {
	Kind       NavActionKind
	Digits     string
	Text       string
	Wait       time.Duration
	Confidence float64
	Reason     string
	StepID     string
}

// NavEvent is an event a Navigator wants published on the call (ivr_step,
// ivr_menu_detected, navigator_decision).
type NavEvent struct {
	Type EventType
	Data map[string]any
}

// FlowMismatch says the stored flow no longer fits what the company says; the call marks
// the flow stale.
type FlowMismatch struct {
	StepID   string
	Expected string
	Heard    string
	Reason   string
}

// NavOutput is what a Navigator produced for one input.
type NavOutput struct {
	Actions []NavAction
	Events  []NavEvent
	// Deadline is when to call Tick next; zero keeps no timer.
	Deadline time.Time
	Stale    *FlowMismatch
	// Think, when set, is a slow decision (an LLM round trip): the call runs it in its own
	// goroutine with the call's context and executes its output when it returns.
	Think func(ctx context.Context) NavOutput
}

// HeardText is one final transcript of the far end with its clock times.
type HeardText struct {
	Text    string
	Speaker string
	Start   time.Time
	End     time.Time
}

// Judgement is the transcript layer's verdict on a human candidate.
type Judgement struct {
	Verdict    string // JudgedHuman, JudgedNotHuman or JudgedUndecided
	Confidence float64
	Reason     string
	Phrase     string
}

// Judgement verdicts.
const (
	JudgedHuman     = "human"
	JudgedNotHuman  = "not_human"
	JudgedUndecided = "undecided"
)

// NavCall is what a Navigator is told about its call.
type NavCall struct {
	CallID  string
	Number  string
	Intent  string
	Company string
	// Flow is the stored flow to replay, or nil.
	Flow *CallFlow
	Log  *slog.Logger
}

// NavigatorFactory builds the navigator of one hold_slayer call.
type NavigatorFactory func(NavCall) (Navigator, error)

// Navigator is a call's menu brain: flow replay, menu matching, LLM decisions, the
// transcript layer of the human detector, wait estimates and learning. The call goroutine
// drives it; only NavOutput.Think runs elsewhere, and an implementation must make Think safe
// to run beside its other methods. app/pilot implements it over app/navigator.
type Navigator interface {
	// Start begins navigation once the company answered.
	Start(now time.Time) NavOutput
	// Heard feeds a final company transcript heard while navigating.
	Heard(now time.Time, text string) NavOutput
	// Tick is called at the last output's Deadline.
	Tick(now time.Time) NavOutput
	// Did records an action the call carried out (also DTMF a user sent), for learning.
	Did(now time.Time, a NavAction)
	// Holding says hold was detected: navigation is over until a person answers.
	Holding(now time.Time)
	// HumanConfirmed says a person was confirmed.
	HumanConfirmed(now time.Time) NavOutput
	// Judge weighs the transcripts heard around a human candidate's onset.
	Judge(onset time.Time, heard []HeardText) Judgement
	// JudgeReply judges the answer to the live check ("" when nothing was said).
	JudgeReply(reply string, earlier []HeardText) Judgement
	// WaitEstimate reads an announced wait ("estimated wait time is 12 minutes").
	WaitEstimate(text string) (seconds float64, data map[string]any, ok bool)
	// Learn folds the call's outcome into its flow: changed says the returned flow must be
	// saved (created when its ID is empty).
	Learn(now time.Time, success bool) (flow CallFlow, changed bool, err error)
}

// navigating reports whether the call's navigator should hear transcripts now.
func (c *call) navigating() bool {
	return c.navi != nil && c.state.Status == StatusNavigating && c.check == nil
}

// startNavigator builds the call's navigator and starts it; without one (or without STT)
// the audio-only flow replay of holdslayer.go runs instead.
func (c *call) startNavigator() *endCause {
	f := c.eng.cfg.Navigator
	if f == nil || c.eng.cfg.STT == nil {
		if c.flow != nil {
			c.setStatus(StatusNavigating)
			return c.startFlow()
		}
		return nil
	}
	n, err := f(NavCall{CallID: c.id, Number: c.req.Number, Intent: c.req.Intent, Company: c.state.Company, Flow: c.flow, Log: c.log})
	if err != nil {
		c.log.Warn("navigator could not start; hold detection continues", "err", err)
		return nil
	}
	c.navi = n
	c.setStatus(StatusNavigating)
	return c.applyNav(n.Start(c.clk.Now()))
}

// applyNav publishes a navigator output's events, marks a stale flow, arms the tick timer,
// starts a pending slow decision and queues its actions.
func (c *call) applyNav(out NavOutput) *endCause {
	for _, ev := range out.Events {
		c.emit(ev.Type, ev.Data)
	}
	if out.Stale != nil {
		c.markStale(*out.Stale)
	}
	if !out.Deadline.IsZero() {
		stopTimer(&c.navTimer)
		c.navTimer = c.clk.NewTimer(max(out.Deadline.Sub(c.clk.Now()), 0))
	}
	if out.Think != nil && !c.thinking {
		c.thinking = true
		think := out.Think
		c.bg.Add(1)
		go func() {
			defer c.bg.Done()
			res := think(c.ctx)
			select {
			case c.thinkC <- res:
			case <-c.ctx.Done():
			}
		}()
	}
	c.navQueue = append(c.navQueue, out.Actions...)
	return c.runNavQueue()
}

// runNavQueue carries out queued navigator actions in order; a spoken phrase pauses the
// queue until it has been played.
func (c *call) runNavQueue() *endCause {
	for len(c.navQueue) > 0 && c.speaking == "" {
		a := c.navQueue[0]
		c.navQueue = c.navQueue[1:]
		if c.navi == nil || (c.state.Status != StatusNavigating && a.Kind != NavTransfer) {
			continue // hold or a person took over
		}
		now := c.clk.Now()
		switch a.Kind {
		case NavDTMF:
			if err := c.sendDTMF(a.Digits, a.StepID); err != nil {
				c.log.Warn("navigator dtmf", "err", err)
				continue
			}
			c.navi.Did(now, a)
			c.answeredAt = now
		case NavSpeak:
			if err := c.speak(a.Text, speakNav); err != nil {
				c.log.Warn("navigator speak", "err", err)
				continue
			}
			c.navi.Did(now, a)
			c.answeredAt = now
		case NavWait:
			c.navi.Did(now, a)
		case NavListen, NavExpectHold:
			// The deadline (listen) or the hold detector (expect hold) takes it from here.
		case NavHumanReported:
			c.log.Info("navigator thinks a person is speaking; the human detector decides", "reason", a.Reason)
		case NavTransfer:
			c.navQueue = nil
			stopTimer(&c.navTimer)
			if c.state.Status == StatusNavigating {
				ec, _ := c.startTransfer(c.req.Device, true)
				return ec
			}
		case NavHangup:
			c.log.Info("navigator hangs up", "reason", a.Reason)
			return &endCause{status: StatusEnded, reason: "navigator_hangup", detail: a.Reason}
		}
	}
	return nil
}

// onNavTick runs the navigator's deadline.
func (c *call) onNavTick() *endCause {
	if !c.navigating() {
		return nil
	}
	return c.applyNav(c.navi.Tick(c.clk.Now()))
}

// onThought executes a slow decision's output.
func (c *call) onThought(out NavOutput) *endCause {
	c.thinking = false
	if !c.navigating() {
		for _, ev := range out.Events {
			c.emit(ev.Type, ev.Data)
		}
		return nil
	}
	return c.applyNav(out)
}

// markStale records that the flow being replayed no longer matches the company's menu.
func (c *call) markStale(m FlowMismatch) {
	c.emit(EventNavigatorDecision, map[string]any{
		"source": "replay", "decision": "fallback", "reason": m.Reason, "step_id": m.StepID,
		"expected": m.Expected, "heard": m.Heard, "call_flow_id": c.state.CallFlowID,
	})
	if c.flow == nil || c.flow.Stale {
		return
	}
	c.flow.Stale = true
	f := *c.flow
	f.UpdatedAt = c.clk.Now()
	if err := c.eng.cfg.Store.UpdateFlow(context.WithoutCancel(c.ctx), &f); err != nil {
		c.log.Error("mark call flow stale", "flow", f.ID, "err", err)
		return
	}
	c.log.Info("call flow marked stale", "flow", f.ID, "reason", m.Reason)
}

// learn folds the call's outcome into its flow and saves it.
func (c *call) learn(success bool) {
	if c.navi == nil || c.learned {
		return
	}
	c.learned = true
	f, changed, err := c.navi.Learn(c.clk.Now(), success)
	if err != nil {
		c.log.Info("nothing learned from this call", "err", err)
		return
	}
	if !changed {
		return
	}
	ctx := context.WithoutCancel(c.ctx)
	created := f.ID == ""
	if created {
		err = c.eng.cfg.Store.CreateFlow(ctx, &f)
	} else {
		err = c.eng.cfg.Store.UpdateFlow(ctx, &f)
	}
	if err != nil {
		c.log.Error("save learned call flow", "err", err)
		return
	}
	c.emit(EventFlowLearned, map[string]any{
		"call_flow_id": f.ID, "created": created, "success": success, "success_count": f.SuccessCount,
		"fail_count": f.FailCount, "steps": len(f.Steps), "stale": f.Stale,
	})
}

// excerpt keeps the tail of s, at most n bytes, starting at a word.
func excerpt(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[len(s)-n:]
	if i := strings.IndexByte(s, ' '); i >= 0 && i < len(s)-1 {
		s = s[i+1:]
	}
	return s
}

// stopNav ends menu navigation (hold or a person took over); the navigator stays for judging
// and learning.
func (c *call) stopNav() {
	stopTimer(&c.navTimer)
	c.navQueue = nil
	if c.navi != nil && c.state.Status == StatusNavigating {
		c.reachedHold = true
		c.navi.Holding(c.clk.Now())
	}
}
