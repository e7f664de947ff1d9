package app

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"
)

// audioClassifiedInterval is the least time between two audio_classified events of a call.
const audioClassifiedInterval = time.Second

// Default step timeouts when a call flow step has none.
const (
	defaultWaitStep   = 3 * time.Second
	defaultListenStep = 30 * time.Second
	maxFlowSteps      = 64 // a flow with a loop stops here
)

// classState remembers what audio_classified last said, to report on change at most once a second.
type classState struct {
	emitted   string
	emittedAt time.Time
	heard     time.Duration // audio heard so far, the analyzer's time base
}

// navState is the replay of a stored call flow.
type navState struct {
	steps       map[string]*Step
	step        *Step
	heardSpeech bool
	ran         int
}

// judgeResult is a HumanJudge's answer for candidate number gen.
type judgeResult struct {
	gen       int
	candidate HumanCandidate
	verdict   HumanVerdict
	err       error
}

// startListening taps the company leg and builds the analyzer its frames go through.
func (c *call) startListening() error {
	if c.eng.cfg.Analyzer == nil {
		c.log.Warn("no audio analyzer configured: hold and human detection are off")
		return nil
	}
	src, err := c.sess.Listen(c.ctx, c.companyCh)
	if err != nil {
		return fmt.Errorf("listen to company leg: %w", err)
	}
	an, err := c.eng.cfg.Analyzer(src.SampleRate())
	if err != nil {
		_ = src.Close()
		return fmt.Errorf("build audio analyzer: %w", err)
	}
	c.audio, c.frames, c.analyzer = src, src.Frames(), an
	c.startEars(src.SampleRate())
	return nil
}

// stopListening closes the audio tap; frames stop and the analyzer is dropped.
func (c *call) stopListening() {
	if c.audio == nil {
		return
	}
	if err := c.audio.Close(); err != nil {
		c.log.Debug("close audio source", "err", err)
	}
	c.audio, c.frames, c.analyzer = nil, nil, nil
	c.ears = nil
}

// onFrame runs one 20 ms frame through the analyzer and acts on what it says.
func (c *call) onFrame(fr AudioFrame) *endCause {
	if c.analyzer == nil {
		return nil
	}
	rate := 8000
	if c.audio != nil && c.audio.SampleRate() > 0 {
		rate = c.audio.SampleRate()
	}
	c.class.heard += time.Duration(len(fr.Samples)) * time.Second / time.Duration(rate)
	// Listening is a snoop, which sends 50 packets a second even while the company is silent
	// (a plain two-party bridge would send nothing then), so a filled frame is a packet lost or
	// late on the way to us, not silence: the analyzer is told so instead of hearing zeros.
	var a Analysis
	if fr.Filled {
		a = c.analyzer.ProcessLost()
	} else {
		a = c.analyzer.Process(fr.Samples)
	}
	c.classified(a)
	if ec := c.hearFrame(fr.Samples, a); ec != nil {
		return ec
	}
	if ec := c.navigateOnAudio(a); ec != nil {
		return ec
	}
	for _, d := range a.Detections {
		if ec := c.onDetection(d); ec != nil {
			return ec
		}
	}
	return nil
}

// classified keeps AudioType current and emits audio_classified when the label changes, at
// most once a second: a label that differs from the last one reported is reported as soon as
// a second has passed since then (the latest label wins, so a change that lasts is never
// lost), and a flicker that is back to the reported label by then is not reported at all.
// Each event therefore means "this label from now on", which is how the timeline reads them.
func (c *call) classified(a Analysis) {
	if a.Label == "" {
		return
	}
	if a.Label != c.state.AudioType {
		c.state.AudioType = a.Label
		c.publish()
	}
	if a.Label == c.class.emitted {
		return
	}
	now := c.clk.Now()
	if !c.class.emittedAt.IsZero() && now.Sub(c.class.emittedAt) < audioClassifiedInterval {
		return
	}
	c.class.emitted, c.class.emittedAt = a.Label, now
	c.emit(EventAudioClassified, map[string]any{"audio_type": a.Label, "confidence": round3(a.Confidence), "features": a.Features.Map()})
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

// onDetection reacts to the analyzer's hold and human decisions.
func (c *call) onDetection(d Detection) *endCause {
	st := c.state.Status
	c.log.Info("detection", "kind", d.Kind, "confidence", d.Confidence, "audio_type", d.AudioType, "status", st)
	if c.req.Mode != ModeHoldSlayer {
		// ai_assisted: the user is on the line; detections are reported, not acted on.
		switch d.Kind {
		case DetectHold:
			c.emit(EventHoldDetected, map[string]any{"audio_type": d.AudioType, "confidence": round3(d.Confidence), "hold_duration": 0.0})
		case DetectHuman:
			c.emit(EventHumanDetected, map[string]any{"confidence": round3(d.Confidence), "transcript_excerpt": "", "onset": d.Onset.Seconds()})
		}
		return nil
	}
	switch d.Kind {
	case DetectHold:
		if st != StatusConnected && st != StatusNavigating {
			return nil
		}
		c.stopFlow()
		c.stopNav()
		c.setStatus(StatusOnHold)
		c.emit(EventHoldDetected, map[string]any{
			"audio_type": d.AudioType, "confidence": round3(d.Confidence),
			"hold_duration": round1(c.holdSecondsNow()),
		})
		if c.sttDown() && c.rechecks < maxRechecks {
			// Without transcripts, the engine also puts the first voice after the hold to the
			// acoustic live check itself: the classifier stays silent on speech that starts at
			// the instant the music stops (which is how recordings start, but also how some
			// agents answer), and the live check tells the two apart.
			c.recheckAt = c.clk.Now().Add(recheckAfter)
		}
	case DetectHuman:
		if st != StatusConnected && st != StatusNavigating && st != StatusOnHold {
			return nil
		}
		if c.judgeCancel != nil || c.xfer != nil || c.check != nil || c.speaking != "" {
			return nil
		}
		return c.judge(HumanCandidate{
			CallID: c.id, Confidence: d.Confidence, Onset: d.Onset, Evidence: d.Evidence,
			HoldSeconds: c.holdSecondsNow(),
		})
	case DetectHoldResumed:
		c.recheckAt, c.rechecks = time.Time{}, 0 // the classifier is armed again
		if c.check != nil && c.check.stage != checkGreeting {
			return c.withdraw("hold resumed before the candidate was confirmed", "acoustic", "")
		}
		if c.judgeCancel != nil {
			c.judgeCancel()
			c.judgeCancel = nil
			c.emit(EventHumanWithdrawn, map[string]any{"reason": "hold resumed before the candidate was confirmed", "stage": "judge"})
			return nil
		}
		if st == StatusHumanDetected || (st == StatusTransferring && c.xfer != nil && c.xfer.auto) {
			c.cancelTransfer("hold resumed")
			c.emit(EventHumanWithdrawn, map[string]any{"reason": "hold resumed", "stage": "acoustic", "confidence": round3(d.Confidence)})
			c.setStatus(StatusOnHold)
		}
	}
	return nil
}

// judge asks the HumanJudge about a candidate; without one the candidate is accepted at once.
func (c *call) judge(cand HumanCandidate) *endCause {
	j := c.eng.cfg.Judge
	if j == nil {
		return c.checkHuman(cand, HumanVerdict{Human: true, Confidence: cand.Confidence})
	}
	c.judgeGen++
	gen := c.judgeGen
	ctx, cancel := context.WithCancel(c.ctx)
	c.judgeCancel = cancel
	c.judgeWG.Add(1)
	go func() {
		defer c.judgeWG.Done()
		v, err := j.Judge(ctx, cand)
		select {
		case c.judgeC <- judgeResult{gen: gen, candidate: cand, verdict: v, err: err}:
		case <-ctx.Done():
		}
	}()
	return nil
}

func (c *call) onJudged(r judgeResult) *endCause {
	if r.gen != c.judgeGen || c.judgeCancel == nil {
		return nil // withdrawn meanwhile
	}
	c.judgeCancel()
	c.judgeCancel = nil
	if r.err != nil || !r.verdict.Human {
		reason := r.verdict.Reason
		if r.err != nil {
			reason = r.err.Error()
		}
		c.log.Info("human candidate vetoed", "reason", reason)
		c.emit(EventHumanWithdrawn, map[string]any{"reason": reason, "stage": "judge", "confidence": round3(r.verdict.Confidence)})
		return nil
	}
	return c.checkHuman(r.candidate, r.verdict)
}

// humanConfirmed says a person is on the line, learns the way here, greets the person and
// then starts connecting the user. j is the speech layer's judgement (zero without one).
func (c *call) humanConfirmed(cand HumanCandidate, v HumanVerdict, j Judgement) *endCause {
	st := c.state.Status
	if st != StatusConnected && st != StatusNavigating && st != StatusOnHold {
		c.stopCheck()
		return nil
	}
	c.stopFlow()
	if c.check != nil {
		stopTimer(&c.check.timer)
	}
	conf := v.Confidence
	if conf == 0 {
		conf = cand.Confidence
	}
	c.agentSince = c.clk.Now().Add(cand.Onset - c.class.heard)
	if c.check != nil && !c.check.onset.IsZero() {
		c.agentSince = c.check.onset
	}
	excerptText := v.TranscriptExcerpt
	if excerptText == "" {
		for _, h := range c.heard {
			if c.agentFrom(h.Start) {
				excerptText = strings.TrimSpace(excerptText + " " + h.Text)
			}
		}
		excerptText = excerpt(excerptText, maxExcerpt)
	}
	if excerptText != "" {
		c.state.TranscriptExcerpt = excerptText
	}
	c.setStatus(StatusHumanDetected)
	data := map[string]any{
		"confidence": round3(conf), "transcript_excerpt": excerptText,
		"onset": round1(cand.Onset.Seconds()), "hold_duration": round1(c.state.HoldSeconds),
		"evidence":  evidenceOrEmpty(cand.Evidence),
		"latency_s": round1((c.class.heard - cand.Onset).Seconds()),
	}
	if j.Verdict != "" {
		data["judgement"] = map[string]any{"verdict": j.Verdict, "reason": j.Reason, "phrase": j.Phrase, "confidence": round3(j.Confidence)}
	}
	c.deviceFields(data)
	c.emit(EventHumanDetected, data)
	if c.navi != nil {
		out := c.navi.HumanConfirmed(c.clk.Now())
		for _, ev := range out.Events {
			c.emit(ev.Type, ev.Data)
		}
		c.learn(true)
	}
	c.stopNav()
	if c.eng.cfg.TTS == nil {
		c.stopCheck()
		ec, _ := c.startTransfer(c.req.Device, true)
		return ec
	}
	return c.greet()
}

// deviceFields names the device a transfer will ring (the notifier scopes by device).
func (c *call) deviceFields(data map[string]any) {
	if c.inboundCh != "" && c.req.Mode == ModeHoldSlayer {
		data["device"], data["device_id"] = "caller", ""
		return
	}
	targets, err := c.eng.deviceCandidates(c.ctx, c.req.Device)
	if err != nil || len(targets) == 0 {
		data["device"], data["device_id"] = "", c.req.Device
		return
	}
	data["device"], data["device_id"] = targets[0].Device.Name, targets[0].Device.ID
}

// startFlow begins replaying the call's stored flow from its first step.
func (c *call) startFlow() *endCause {
	c.nav = navState{steps: make(map[string]*Step, len(c.flow.Steps))}
	for i := range c.flow.Steps {
		c.nav.steps[c.flow.Steps[i].ID] = &c.flow.Steps[i]
	}
	c.nav.step = &c.flow.Steps[0]
	return c.runStep()
}

// stopFlow ends navigation: hold or a human has taken over.
func (c *call) stopFlow() {
	c.nav.step = nil
	stopTimer(&c.stepTimer)
}

// runStep performs the current step and every immediate step after it, stopping at the
// first one that waits (WAIT, LISTEN) or ends navigation (HOLD, TRANSFER, the last step).
func (c *call) runStep() *endCause {
	for c.nav.step != nil {
		s := c.nav.step
		c.nav.ran++
		if c.nav.ran > maxFlowSteps {
			c.log.Warn("call flow ran too many steps; navigation stops", "flow", c.flow.ID)
			c.stopFlow()
			return nil
		}
		c.emit(EventIVRStep, map[string]any{"step_id": s.ID, "step_type": string(s.Type), "description": s.Description})
		switch s.Type {
		case StepWait:
			c.stepTimer = c.clk.NewTimer(stepTimeout(s, defaultWaitStep))
			return nil
		case StepListen:
			c.nav.heardSpeech = false
			c.stepTimer = c.clk.NewTimer(stepTimeout(s, defaultListenStep))
			return nil
		case StepDTMF:
			if err := c.sendDTMF(s.DTMF, s.ID); err != nil {
				c.log.Warn("call flow dtmf", "step_id", s.ID, "err", err)
			}
		case StepHold:
			// The analyzer decides from here: hold, then a human.
			c.stopFlow()
			return nil
		case StepTransfer:
			c.stopFlow()
			ec, _ := c.startTransfer(c.req.Device, true)
			return ec
		case StepSpeak:
			c.log.Warn("speak steps need the speech layer; skipped", "step_id", s.ID)
		default:
			c.log.Warn("unknown call flow step type; skipped", "step_id", s.ID, "type", s.Type)
		}
		c.advance()
	}
	return nil
}

// advance moves to the current step's next step, or ends navigation.
func (c *call) advance() {
	s := c.nav.step
	stopTimer(&c.stepTimer)
	if s == nil || s.NextStep == "" {
		c.nav.step = nil
		return
	}
	next, ok := c.nav.steps[s.NextStep]
	if !ok {
		c.log.Warn("call flow next step missing; navigation stops", "step_id", s.ID, "next_step", s.NextStep)
		c.nav.step = nil
		return
	}
	c.nav.step = next
}

func (c *call) onStepTimeout() *endCause {
	if c.nav.step == nil {
		return nil
	}
	if c.nav.step.Type == StepListen && !c.nav.heardSpeech {
		c.log.Info("listen step heard no prompt before its timeout", "step_id", c.nav.step.ID)
	}
	c.advance()
	return c.runStep()
}

// navigateOnAudio finishes a LISTEN step once a prompt was heard and then went quiet.
func (c *call) navigateOnAudio(a Analysis) *endCause {
	s := c.nav.step
	if s == nil || s.Type != StepListen {
		return nil
	}
	switch a.Label {
	case AudioSpeech:
		c.nav.heardSpeech = true
	case AudioSilence:
		if c.nav.heardSpeech {
			c.advance()
			return c.runStep()
		}
	}
	return nil
}

func stepTimeout(s *Step, def time.Duration) time.Duration {
	if s.Timeout != nil && *s.Timeout > 0 {
		return secs(*s.Timeout)
	}
	return def
}

func evidenceOrEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}
