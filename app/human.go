package app

import (
	"fmt"
	"strings"
	"time"

	"github.com/holdslayer/holdslayer/app/clock"
	"github.com/holdslayer/holdslayer/app/speech"
)

// Human check defaults.
const (
	// DefaultJudgeWindow is how long the transcript layer waits for the candidate's words.
	DefaultJudgeWindow = 4 * time.Second
	// DefaultLiveCheckWait is how long the live check waits for a transcribed answer after
	// the question; an answer still being spoken or transcribed gets liveCheckGrace more.
	DefaultLiveCheckWait = 4 * time.Second
	// liveCheckGrace extends the wait once when an answer is still being spoken or transcribed.
	liveCheckGrace = 4 * time.Second
)

// Acoustic live check: how a person's answer to the question differs from a recording. A
// person stops talking while we speak and answers shortly after we finish; a recording talks
// over us, or does not answer, or the hold music comes back.
const (
	// replyMinDelay and replyMaxDelay bound when an answer may begin after the question ends.
	replyMinDelay = 200 * time.Millisecond
	replyMaxDelay = 3 * time.Second
	// replyMinSpeech is how much voice (not music) the answer needs to count.
	replyMinSpeech = 400 * time.Millisecond
	// phrasePause is the least pause the company must make while we ask (a third of the
	// phrase when that is shorter); more than half of the phrase talked over is a recording.
	phrasePause = 500 * time.Millisecond
	// askPauseWait is how long the check waits for the candidate to stop talking before it
	// asks anyway (a recording that never pauses then talks over the question).
	askPauseWait = 6 * time.Second
	// musicVeto is how much hold music during a check withdraws the candidate.
	musicVeto = time.Second
)

// Without TTS and without transcripts only the audio can decide, and it must be strong: a
// person who greets and then waits for an answer, with no hold music coming back and nothing
// repeated from earlier in the hold.
const (
	observeMinSpeech = 1500 * time.Millisecond
	observeQuiet     = 3 * time.Second  // quiet (not music) after the speech
	observeMax       = 12 * time.Second // the decision is made within this of the onset
	observeEvery     = 25               // frames between evaluations
)

// Acoustic rechecks: the classifier raises one candidate per hold, so a person withdrawn by
// an acoustic check would never be asked again; without transcripts the engine raises its
// own candidate on the next stretch of voice.
const (
	recheckAfter  = 3 * time.Second
	recheckSpeech = 600 * time.Millisecond
	maxRechecks   = 3
)

// Stages of a human check.
const (
	checkTranscript = "transcript" // waiting for the candidate's words
	checkPause      = "pause"      // waiting for the candidate to stop talking before asking
	checkAsking     = "asking"     // the live-check question is being played
	checkReply      = "reply"      // waiting for the answer
	checkObserve    = "observe"    // no voice and no transcripts: watching the audio
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
	// acoustic: no transcripts, the audio decides.
	acoustic bool
	// The question as the far end heard it, and what the audio said about the answer.
	phraseFrom, phraseTo time.Time
	talkedOver           bool
	replyOnset           time.Time
	replyFrames          int
	answered             bool
	answerAfter          time.Duration // from the end of the question to the answer
	musicRun             int
	frames               int
}

// liveCheckOn reports whether the live check runs: on by default, and it needs a voice.
func (c *call) liveCheckOn() bool { return !c.eng.cfg.DisableLiveCheck && c.eng.cfg.TTS != nil }

// checkHuman starts the checks of a candidate the acoustic layer (and the HumanJudge, if
// any) accepted. With transcripts: the transcript judge, then the live check judged from the
// answer's words. Without them: the live check judged from the audio, or, with no voice
// either, stronger acoustic evidence. Acoustics alone never ring the user.
func (c *call) checkHuman(cand HumanCandidate, v HumanVerdict) *endCause {
	onset := c.clk.Now().Add(cand.Onset - c.class.heard)
	c.check = &humanCheck{cand: cand, verdict: v, onset: onset, stage: checkTranscript}
	if c.navi != nil && !c.sttDown() {
		if j := c.navi.Judge(onset, c.heard); j.Verdict != JudgedUndecided {
			return c.afterTranscript(j)
		}
		c.check.timer = c.clk.NewTimer(c.judgeWindow())
		return nil
	}
	if c.eng.cfg.Judge != nil && !c.liveCheckOn() && c.navi == nil {
		// The HumanJudge is the confirmation layer this engine was given.
		return c.humanConfirmed(cand, v, Judgement{})
	}
	c.check.acoustic = true
	c.check.judged = Judgement{Verdict: JudgedUndecided, Reason: "no transcripts"}
	if c.ears == nil {
		return c.withdraw("no voice activity detection to confirm a person", "acoustic", "")
	}
	if c.liveCheckOn() {
		return c.askWhenPaused()
	}
	c.check.stage = checkObserve
	c.check.timer = c.clk.NewTimer(max(observeMax-c.clk.Now().Sub(onset), observeQuiet))
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
	case checkPause, checkAsking, checkReply:
		if k.acoustic || c.navi == nil {
			return nil
		}
		if h.Start.Before(k.askedAt) || k.stage != checkReply {
			// The rest of the candidate's words (an early transcript decided): a hold phrase
			// or a repeat there still vetoes.
			if j := c.navi.Judge(k.onset, c.heard); j.Verdict == JudgedNotHuman {
				return c.withdraw(j.Reason, "transcript", j.Phrase)
			}
			return nil
		}
		k.replies = append(k.replies, h.Text)
		j := c.navi.JudgeReply(strings.Join(k.replies, " "), c.earlier(k.onset))
		switch {
		case j.Verdict == JudgedHuman:
			return c.humanConfirmed(k.cand, k.verdict, j)
		case j.Verdict == JudgedNotHuman && j.Reason != "no_reply":
			return c.withdraw(j.Reason, "live_check", j.Phrase)
		}
	}
	return nil
}

// checkNoWords handles a transcript that came back empty during a check: STT heard no
// words in the candidate's speech or in the answer, so waiting longer for them is useless.
func (c *call) checkNoWords(r sttResult) *endCause {
	k := c.check
	e := c.ears
	if r.partial || e == nil || e.speaking || e.inFlight > 0 {
		return nil
	}
	switch {
	case k.stage == checkTranscript && !r.start.Before(k.onset.Add(-time.Second)):
		stopTimer(&k.timer)
		return c.afterTranscript(Judgement{Verdict: JudgedUndecided, Reason: "no words transcribed"})
	case k.stage == checkReply && !r.start.Before(k.phraseTo) && k.answered && !k.talkedOver && len(k.replies) == 0:
		k.acoustic = true
		return c.onAnswered()
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
	return c.askWhenPaused()
}

// askWhenPaused asks the live-check question once the candidate stops talking (a person
// greeting us is not interrupted), or after askPauseWait regardless.
func (c *call) askWhenPaused() *endCause {
	k := c.check
	stopTimer(&k.timer)
	if c.sttDown() {
		k.acoustic = true // transcription failed meanwhile: the audio decides
	}
	if k.acoustic {
		if rep, r := c.ears.voice.repeats(k.onset); rep {
			return c.withdraw("repeated_recording", "acoustic", fmt.Sprintf("envelope correlation %.2f", r))
		}
	}
	if e := c.ears; e != nil && (e.speaking || e.voice.offsetAt.Before(k.onset)) {
		// Still talking, or the voice detector has not yet heard the candidate's speech end.
		k.stage = checkPause
		k.timer = c.clk.NewTimer(askPauseWait)
		return nil
	}
	return c.ask()
}

// ask plays the live-check question.
func (c *call) ask() *endCause {
	k := c.check
	stopTimer(&k.timer)
	phrase := c.eng.cfg.LiveCheckPhrase
	if phrase == "" {
		phrase = DefaultLiveCheckPhrase
	}
	k.stage = checkAsking
	k.askedAt = c.clk.Now()
	if err := c.speak(phrase, speakLiveCheck); err != nil {
		return c.notAsked(err)
	}
	return nil
}

// notAsked goes on without the question: with transcripts the transcript layer's verdict
// stands; without them the audio must decide on its own.
func (c *call) notAsked(err error) *endCause {
	k := c.check
	if k.acoustic {
		c.log.Warn("live check cannot be asked; watching the audio instead", "err", err)
		k.stage = checkObserve
		k.timer = c.clk.NewTimer(max(observeMax-c.clk.Now().Sub(k.onset), observeQuiet))
		return nil
	}
	c.log.Warn("live check cannot be asked; judging without it", "err", err)
	return c.humanConfirmed(k.cand, k.verdict, k.judged)
}

// liveCheckAsked starts waiting for the answer once the question was played, judging first
// how the company behaved while it was asked.
func (c *call) liveCheckAsked(d speakDone) *endCause {
	k := c.check
	if k == nil || k.stage != checkAsking {
		return nil
	}
	if d.err != nil {
		return c.notAsked(d.err)
	}
	k.phraseTo = d.end
	k.phraseFrom = d.end.Add(-d.played)
	k.askedAt = k.phraseFrom
	if c.ears == nil {
		return c.withdraw("no voice activity detection to judge the answer", "live_check", "")
	}
	voiced, music, frames, quiet := c.ears.voice.span(k.phraseFrom, k.phraseTo)
	if frames > 0 && time.Duration(music)*speech.FrameDuration >= musicVeto {
		return c.withdraw("hold music returned", "live_check", "")
	}
	k.talkedOver = frames > 0 && (voiced*2 > frames || quiet < min(phrasePause, d.played/3))
	if e := c.ears; e.speaking && e.voice.onsetAt.Before(k.phraseTo.Add(replyMinDelay)) {
		k.talkedOver = true // still talking as the question ended
	}
	c.log.Info("live check asked", "talked_over", k.talkedOver, "voiced_frames", voiced, "frames", frames,
		"longest_pause_s", round1(quiet.Seconds()))
	if k.acoustic && k.talkedOver {
		return c.withdraw("talked_over_live_check", "live_check", "")
	}
	k.stage = checkReply
	k.extended = false
	wait := c.liveCheckWait()
	if k.acoustic {
		wait = replyMaxDelay + replyMinSpeech + 200*time.Millisecond
	}
	k.timer = c.clk.NewTimer(wait)
	return nil
}

func (c *call) liveCheckWait() time.Duration {
	if c.eng.cfg.LiveCheckWait > 0 {
		return c.eng.cfg.LiveCheckWait
	}
	return DefaultLiveCheckWait
}

// checkFrame follows a check frame by frame: hold music coming back, the candidate pausing,
// an answer starting in the window after the question, the observation of the audio.
func (c *call) checkFrame(ev speech.VADEventKind, a Analysis) *endCause {
	k := c.check
	e := c.ears
	k.frames++
	if a.Label == AudioMusic {
		k.musicRun++
	} else {
		k.musicRun = 0
	}
	if k.stage != checkGreeting && time.Duration(k.musicRun)*speech.FrameDuration >= musicVeto {
		return c.withdraw("hold music returned", k.stage, "")
	}
	switch k.stage {
	case checkPause:
		if ev == speech.VADOffset {
			if k.acoustic {
				if rep, r := e.voice.repeats(k.onset); rep {
					return c.withdraw("repeated_recording", "acoustic", fmt.Sprintf("envelope correlation %.2f", r))
				}
			}
			return c.ask()
		}
	case checkReply:
		switch {
		case ev == speech.VADOnset:
			d := e.voice.onsetAt.Sub(k.phraseTo)
			if d < replyMinDelay || d > replyMaxDelay {
				c.log.Info("speech outside the answer window", "after_question_s", round1(d.Seconds()))
				return nil
			}
			k.replyOnset, k.replyFrames = e.voice.onsetAt, 0
		case ev == speech.VADOffset:
			k.replyOnset = time.Time{} // a blip, not an answer
		}
		if !k.replyOnset.IsZero() && e.speaking && a.Label != AudioMusic {
			k.replyFrames++
			if !k.answered && time.Duration(k.replyFrames)*speech.FrameDuration >= replyMinSpeech {
				k.answered = true
				k.answerAfter = k.replyOnset.Sub(k.phraseTo)
				return c.onAnswered()
			}
		}
	case checkObserve:
		if k.frames%observeEvery == 0 || ev != speech.VADNone {
			return c.observe(false)
		}
	}
	return nil
}

// onAnswered acts on an answer the audio heard: without transcripts it confirms the person
// when the question was not talked over; with them it confirms at once when the transcript
// judge already heard a greeting (both layers agree), else the answer's words decide.
func (c *call) onAnswered() *endCause {
	k := c.check
	after := round1(k.answerAfter.Seconds())
	c.log.Info("live check answered", "after_question_s", after, "talked_over", k.talkedOver)
	if k.talkedOver {
		return nil
	}
	switch {
	case k.acoustic:
		return c.humanConfirmed(k.cand, k.verdict, Judgement{Verdict: JudgedHuman, Confidence: 0.7,
			Reason: "answered_live_check", Phrase: fmt.Sprintf("paused while asked, answered %.1f s after", after)})
	case k.judged.Verdict == JudgedHuman:
		j := k.judged
		j.Reason += "+answered_live_check"
		return c.humanConfirmed(k.cand, k.verdict, j)
	}
	return nil
}

// observe judges the audio alone (no voice, no transcripts): enough speech, then quiet that
// is not music, nothing repeated from earlier. final is the deadline's call.
func (c *call) observe(final bool) *endCause {
	k := c.check
	e := c.ears
	now := c.clk.Now()
	voiced, music, _, _ := e.voice.span(k.onset.Add(-speech.FrameDuration), now)
	switch {
	case time.Duration(music)*speech.FrameDuration >= musicVeto:
		return c.withdraw("hold music returned", "acoustic", "")
	case !e.speaking && !e.voice.offsetAt.Before(k.onset):
		if rep, r := e.voice.repeats(k.onset); rep {
			return c.withdraw("repeated_recording", "acoustic", fmt.Sprintf("envelope correlation %.2f", r))
		}
	}
	spoke := time.Duration(voiced) * speech.FrameDuration
	quiet := time.Duration(0)
	if !e.speaking && !e.voice.offsetAt.Before(k.onset) {
		quiet = now.Sub(e.voice.offsetAt.Add(-speech.DefaultHangover)) // the VAD's offset trails the voice
	}
	if spoke >= observeMinSpeech && quiet >= observeQuiet {
		return c.humanConfirmed(k.cand, k.verdict, Judgement{Verdict: JudgedHuman, Confidence: 0.6,
			Reason: "spoke_then_waited", Phrase: fmt.Sprintf("%.1f s of speech, then %.1f s of quiet without music", spoke.Seconds(), quiet.Seconds())})
	}
	if final {
		return c.withdraw("no_conversational_pause", "acoustic", fmt.Sprintf("%.1f s of speech, %.1f s of quiet", spoke.Seconds(), quiet.Seconds()))
	}
	return nil
}

// onCheckTimer ends a stage that waited long enough.
func (c *call) onCheckTimer() *endCause {
	k := c.check
	k.timer = nil
	e := c.ears
	if !k.extended && e != nil && (e.speaking || e.inFlight > 0) && (k.stage == checkTranscript || (k.stage == checkReply && !k.acoustic)) {
		// Words are still being spoken or transcribed: give them a moment, once.
		k.extended = true
		k.timer = c.clk.NewTimer(liveCheckGrace)
		return nil
	}
	switch k.stage {
	case checkTranscript:
		k.extended = false
		return c.afterTranscript(Judgement{Verdict: JudgedUndecided, Reason: "no transcript cue within the judge window"})
	case checkPause:
		return c.ask()
	case checkObserve:
		return c.observe(true)
	case checkReply:
		if k.acoustic || c.sttDown() {
			// No words to judge: how the answer came is what tells a person from a recording.
			if k.answered && !k.talkedOver {
				k.acoustic = true
				return c.onAnswered()
			}
			if k.talkedOver {
				return c.withdraw("talked_over_live_check", "live_check", "")
			}
			return c.withdraw("no_reply", "live_check", "")
		}
		if len(k.replies) == 0 && k.answered && !k.talkedOver {
			// An answer came, as a person's does, but STT made no words of it: the audio
			// decides, as it does without transcripts.
			k.acoustic = true
			return c.onAnswered()
		}
		j := c.navi.JudgeReply(strings.Join(k.replies, " "), c.earlier(k.onset))
		switch j.Verdict {
		case JudgedHuman:
			return c.humanConfirmed(k.cand, k.verdict, j)
		case JudgedUndecided:
			if len(k.replies) > 0 || (k.answered && !k.talkedOver) {
				// Something answered the question: recordings do not.
				j.Verdict, j.Reason = JudgedHuman, "replied_to_live_check"
				return c.humanConfirmed(k.cand, k.verdict, j)
			}
			j.Verdict, j.Reason = JudgedNotHuman, "no_reply"
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
	acoustic := c.check != nil && c.check.acoustic
	c.check = nil
	if acoustic && reason != "hold music returned" && c.rechecks < maxRechecks {
		// The classifier will not raise this hold's person again: listen for more voice.
		c.recheckAt = c.clk.Now().Add(recheckAfter)
	}
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

// greet says the agent greeting to the confirmed person ("stay on the line while I connect the
// customer"); the user's phone rings once it has been said (greeted), so the agent knows to wait
// before anyone is rung.
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

// greeted connects the user once the greeting has been played: bridges a device that answered
// while it played (the user asked to pick up during it), or rings the devices.
func (c *call) greeted() *endCause {
	c.stopCheck()
	if x := c.xfer; x != nil {
		if x.answered {
			return c.onDeviceAnswered()
		}
		return nil // already ringing
	}
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
