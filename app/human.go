package app

import (
	"strings"
	"time"

	"github.com/holdslayer/holdslayer/app/clock"
)

// Human check defaults.
const (
	// DefaultJudgeWindow is how long the transcript layer waits for the candidate's words.
	DefaultJudgeWindow = 4 * time.Second
	// DefaultLiveCheckWait is how long the live check waits for an answer.
	DefaultLiveCheckWait = 8 * time.Second
	// liveCheckGrace extends the wait once when an answer is still being spoken or transcribed.
	liveCheckGrace = 4 * time.Second
)

// Stages of a human check.
const (
	checkTranscript = "transcript" // waiting for the candidate's words
	checkAsking     = "asking"     // the live-check question is being played
	checkReply      = "reply"      // waiting for the answer
	checkGreeting   = "greeting"   // confirmed; the agent greeting is being played
)

// humanCheck is a human candidate on its way to confirmation: the transcript layer, the
// optional live check, then the agent greeting. The call stays where it was (on hold,
// navigating) until the person is confirmed.
type humanCheck struct {
	cand     HumanCandidate
	verdict  HumanVerdict
	onset    time.Time // clock time the candidate's speech began
	stage    string
	timer    clock.Timer
	askedAt  time.Time
	replies  []string
	extended bool
	judged   Judgement
}

// liveCheckOn reports whether the live check runs: on by default, and it needs a voice.
func (c *call) liveCheckOn() bool { return !c.eng.cfg.DisableLiveCheck && c.eng.cfg.TTS != nil }

// checkHuman starts the speech checks of a candidate the acoustic layer (and the HumanJudge,
// if any) accepted; with no speech layer configured the candidate is confirmed at once.
func (c *call) checkHuman(cand HumanCandidate, v HumanVerdict) *endCause {
	if c.navi == nil && !c.liveCheckOn() {
		return c.humanConfirmed(cand, v, Judgement{})
	}
	onset := c.clk.Now().Add(cand.Onset - c.class.heard)
	c.check = &humanCheck{cand: cand, verdict: v, onset: onset, stage: checkTranscript}
	if c.navi == nil || c.sttDown() {
		return c.afterTranscript(Judgement{Verdict: JudgedUndecided, Reason: "no transcript layer"})
	}
	if j := c.navi.Judge(onset, c.heard); j.Verdict != JudgedUndecided {
		return c.afterTranscript(j)
	}
	c.check.timer = c.clk.NewTimer(c.judgeWindow())
	return nil
}

func (c *call) judgeWindow() time.Duration {
	if c.eng.cfg.JudgeWindow > 0 {
		return c.eng.cfg.JudgeWindow
	}
	return DefaultJudgeWindow
}

// checkHeard feeds a transcript to the check in progress.
func (c *call) checkHeard(h HeardText) *endCause {
	k := c.check
	switch k.stage {
	case checkTranscript:
		if j := c.navi.Judge(k.onset, c.heard); j.Verdict != JudgedUndecided {
			stopTimer(&k.timer)
			return c.afterTranscript(j)
		}
	case checkReply:
		if h.Start.Before(k.askedAt) {
			return nil
		}
		k.replies = append(k.replies, h.Text)
		j := c.navi.JudgeReply(strings.Join(k.replies, " "), c.earlier(k.onset))
		switch {
		case j.Verdict == JudgedHuman:
			stopTimer(&k.timer)
			return c.humanConfirmed(k.cand, k.verdict, j)
		case j.Verdict == JudgedNotHuman && j.Reason != "no_reply":
			return c.withdraw(j.Reason, "live_check", j.Phrase)
		}
	}
	return nil
}

// earlier is what was heard before t, for repeat detection.
func (c *call) earlier(t time.Time) []HeardText {
	var out []HeardText
	for _, h := range c.heard {
		if h.Start.Before(t.Add(-time.Second)) {
			out = append(out, h)
		}
	}
	return out
}

// afterTranscript acts on the transcript layer's verdict: a veto withdraws the candidate;
// otherwise the live check runs, or without it the candidate is confirmed.
func (c *call) afterTranscript(j Judgement) *endCause {
	k := c.check
	k.judged = j
	if j.Verdict == JudgedNotHuman {
		return c.withdraw(j.Reason, "transcript", j.Phrase)
	}
	if !c.liveCheckOn() {
		return c.humanConfirmed(k.cand, k.verdict, j)
	}
	phrase := c.eng.cfg.LiveCheckPhrase
	if phrase == "" {
		phrase = DefaultLiveCheckPhrase
	}
	k.stage = checkAsking
	k.askedAt = c.clk.Now()
	if err := c.speak(phrase, speakLiveCheck); err != nil {
		c.log.Warn("live check cannot be asked; judging without it", "err", err)
		return c.humanConfirmed(k.cand, k.verdict, j)
	}
	return nil
}

// liveCheckAsked starts waiting for the answer once the question was played.
func (c *call) liveCheckAsked(err error) *endCause {
	k := c.check
	if k == nil || k.stage != checkAsking {
		return nil
	}
	if err != nil {
		c.log.Warn("live check question not played; judging without it", "err", err)
		return c.humanConfirmed(k.cand, k.verdict, k.judged)
	}
	k.stage = checkReply
	k.extended = false
	k.timer = c.clk.NewTimer(c.liveCheckWait())
	return nil
}

func (c *call) liveCheckWait() time.Duration {
	if c.eng.cfg.LiveCheckWait > 0 {
		return c.eng.cfg.LiveCheckWait
	}
	return DefaultLiveCheckWait
}

// onCheckTimer ends a stage that waited long enough.
func (c *call) onCheckTimer() *endCause {
	k := c.check
	k.timer = nil
	e := c.ears
	if !k.extended && e != nil && (e.speaking || e.inFlight > 0) && (k.stage == checkTranscript || k.stage == checkReply) {
		// Words are still being spoken or transcribed: give them a moment, once.
		k.extended = true
		k.timer = c.clk.NewTimer(liveCheckGrace)
		return nil
	}
	switch k.stage {
	case checkTranscript:
		k.extended = false
		return c.afterTranscript(Judgement{Verdict: JudgedUndecided, Reason: "no transcript cue within the judge window"})
	case checkReply:
		if c.navi == nil || c.sttDown() {
			// No words to judge: an answer at all is what tells a person from a recording.
			if e != nil && !e.onsetAt.Before(k.askedAt) {
				return c.humanConfirmed(k.cand, k.verdict, Judgement{Verdict: JudgedHuman, Confidence: 0.6, Reason: "answered_live_check"})
			}
			return c.withdraw("no_reply", "live_check", "")
		}
		j := c.navi.JudgeReply(strings.Join(k.replies, " "), c.earlier(k.onset))
		switch j.Verdict {
		case JudgedHuman:
			return c.humanConfirmed(k.cand, k.verdict, j)
		case JudgedUndecided:
			// Something answered the question: recordings do not.
			j.Verdict, j.Reason = JudgedHuman, "replied_to_live_check"
			return c.humanConfirmed(k.cand, k.verdict, j)
		}
		return c.withdraw(j.Reason, "live_check", j.Phrase)
	}
	return nil
}

// withdraw drops the candidate: the call goes on holding (or navigating).
func (c *call) withdraw(reason, stage, phrase string) *endCause {
	if k := c.check; k != nil {
		stopTimer(&k.timer)
	}
	c.check = nil
	c.log.Info("human candidate withdrawn", "reason", reason, "stage", stage)
	data := map[string]any{"reason": reason, "stage": stage}
	if phrase != "" {
		data["phrase"] = phrase
	}
	c.emit(EventHumanWithdrawn, data)
	return nil
}

// stopCheck cancels a check without an event (the call is transferring or ending).
func (c *call) stopCheck() {
	if k := c.check; k != nil {
		stopTimer(&k.timer)
	}
	c.check = nil
}

// greet says the agent greeting to the confirmed person, then rings the user.
func (c *call) greet() *endCause {
	text := c.eng.cfg.AgentGreeting
	if text == "" {
		text = DefaultAgentGreeting
	}
	if c.check == nil {
		c.check = &humanCheck{}
	}
	c.check.stage = checkGreeting
	if err := c.speak(text, speakGreeting); err != nil {
		c.log.Info("agent greeting not said", "err", err)
		return c.greeted()
	}
	return nil
}

// greeted rings the user once the greeting has been played.
func (c *call) greeted() *endCause {
	c.stopCheck()
	if c.state.Status != StatusHumanDetected {
		return nil
	}
	ec, _ := c.startTransfer(c.req.Device, true)
	return ec
}

func checkTimerC(k *humanCheck) <-chan time.Time {
	if k == nil {
		return nil
	}
	return timerC(k.timer)
}
