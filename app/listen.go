package app

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/holdslayer/holdslayer/app/speech"
)

// Transcriber turns one utterance into text. *speech.OpenAISTT satisfies it; errors wrapping
// speech.ErrSTTUnavailable put the call in degraded mode (no transcripts, audio-only
// detection) until a transcription succeeds again.
type Transcriber interface {
	Transcribe(ctx context.Context, pcm []int16, rate int) (speech.Transcript, error)
}

// musicLabelLag is how far the classifier's music label may trail the start of speech.
const musicLabelLag = 500 * time.Millisecond

// maxExcerpt bounds Call.TranscriptExcerpt.
const maxExcerpt = 200

// ears is the transcription side of listening: the segmenter cutting utterances and the
// label counts that gate them.
type ears struct {
	seg      *speech.Segmenter
	rate     int
	music    int // frames of the utterance in progress the classifier called music
	speech   int
	frames   int
	inFlight int
	degraded bool
	onsetAt  time.Time // clock time of the last VAD onset
	// musicAt is the clock time of the last frame the classifier called music: voice that
	// follows music within one utterance (an agent speaking the instant the music stops)
	// counts from there.
	musicAt time.Time
	// labels says, per frame of the utterance in progress, whether the classifier called it
	// music; first is the stream offset where labels[0] begins.
	labels   []bool
	first    time.Duration
	speaking bool // the VAD is inside an utterance
	// voice follows voice activity for the acoustic checks.
	voice *voiceTrack
	// recent is a ring of the last partialKeep of audio; partialSent says the utterance in
	// progress was already sent early.
	recent      []int16
	recentPos   int
	recentLen   int
	partialSent bool
}

// Early transcription of a candidate's first words.
const (
	// partialAfter is how much of the candidate's speech is transcribed early.
	partialAfter = 1800 * time.Millisecond
	// partialKeep is how much audio the ring holds (at most what a partial sends).
	partialKeep = 4 * time.Second
)

// sttResult is one utterance's transcript, back in the call goroutine.
type sttResult struct {
	text       string
	start, end time.Time
	err        error
	partial    bool // the first words of an utterance still being spoken
}

// startEars builds the segmenter and the voice tracker for the listen stream. Both run
// without STT too: the acoustic checks need the VAD's onsets and offsets.
func (c *call) startEars(rate int) {
	seg, err := speech.NewSegmenter(rate, speech.SegmenterConfig{})
	if err != nil {
		c.log.Warn("no voice activity detection: segmenter", "err", err)
		return
	}
	c.ears = &ears{seg: seg, rate: rate, voice: newVoiceTrack(), recent: make([]int16, rate*int(partialKeep/time.Millisecond)/1000)}
}

// hearFrame runs one frame through the segmenter and the voice tracker; with STT, a finished
// utterance that the classifier did not mostly call music goes to STT in its own goroutine,
// and a human check in progress gets the candidate's first words early (transcribePartial).
func (c *call) hearFrame(samples []int16, a Analysis) *endCause {
	e := c.ears
	if e == nil {
		return nil
	}
	ev, utt, ok := e.seg.Push(samples)
	now := c.clk.Now()
	switch ev.Kind {
	case speech.VADOnset:
		e.music, e.speech, e.frames = 0, 0, 0
		e.labels, e.first = e.labels[:0], c.class.heard-speech.FrameDuration
		e.onsetAt = now
		e.speaking = true
		e.partialSent = false
	case speech.VADOffset:
		e.speaking = false
	}
	if a.Label == AudioMusic {
		e.musicAt = now
	}
	e.voice.push(now, ev.Kind, e.speaking, a.Label == AudioMusic, samples)
	e.remember(samples)
	if e.speaking || ev.Kind == speech.VADOffset {
		e.frames++
		switch a.Label {
		case AudioMusic:
			e.music++
		case AudioSpeech:
			e.speech++
		}
		e.labels = append(e.labels, a.Label == AudioMusic)
	}
	var ec *endCause
	if c.check != nil {
		ec = c.checkFrame(ev.Kind, a)
	} else if ec = c.recheck(now, a); ec != nil {
		return ec
	}
	if c.eng.cfg.STT == nil || c.ears == nil {
		return ec
	}
	if e.speaking && !e.partialSent && c.check != nil && c.check.stage == checkTranscript &&
		now.Sub(e.onsetAt) >= partialAfter && e.music*2 < e.frames {
		e.partialSent = true
		c.transcribePartial(now)
	}
	if !ok {
		return ec
	}
	if e.music > 0 {
		// The VAD runs on through hold music: keep only the longest stretch the classifier
		// did not call music (an announcement between music), widened by the label's lag.
		from, to := longestRun(e.labels)
		if time.Duration(to-from)*speech.FrameDuration < speech.DefaultMinUtterance {
			c.log.Debug("utterance dropped: the classifier heard music", "music_frames", e.music, "frames", e.frames)
			return ec
		}
		start := max(e.first+time.Duration(from)*speech.FrameDuration-musicLabelLag, utt.Start)
		end := min(e.first+time.Duration(to)*speech.FrameDuration+musicLabelLag/2, utt.End)
		at := func(d time.Duration) int {
			return min(int(int64(d-utt.Start)*int64(utt.Rate)/int64(time.Second)), len(utt.Samples))
		}
		utt.Samples, utt.Start, utt.End = utt.Samples[at(start):at(end)], start, end
	}
	start := now.Add(utt.Start - c.class.heard)
	end := now.Add(utt.End - c.class.heard)
	c.transcribe(utt.Samples, utt.Rate, start, end, false)
	return ec
}

// recheck raises a candidate of its own after an acoustic withdrawal, on the next voice that
// lasts recheckSpeech with no music in it, while the call is on hold without transcripts.
func (c *call) recheck(now time.Time, a Analysis) *endCause {
	e := c.ears
	if c.recheckAt.IsZero() || now.Before(c.recheckAt) || !c.sttDown() || c.state.Status != StatusOnHold ||
		c.xfer != nil || c.speaking != "" || c.judgeCancel != nil {
		return nil
	}
	// The voice runs from the VAD onset, or from the last music frame when the utterance began
	// in the music (speech that starts the instant the music stops).
	from := e.onsetAt
	if e.musicAt.After(from) {
		from = e.musicAt
	}
	if !e.speaking || a.Label == AudioMusic || now.Sub(from) < recheckSpeech || from.Before(c.recheckAt) {
		return nil
	}
	c.recheckAt = time.Time{}
	c.rechecks++
	c.log.Info("voice after an acoustic withdrawal: checking again", "recheck", c.rechecks)
	return c.judge(HumanCandidate{CallID: c.id, Confidence: 0.5, Onset: c.class.heard - now.Sub(from),
		Evidence: map[string]any{"source": "vad_recheck", "recheck": c.rechecks}, HoldSeconds: c.holdSecondsNow()})
}

// transcribePartial sends what the candidate said so far (from the VAD onset, with a little
// pre-roll) to STT, so the transcript judge need not wait for the end of a long greeting.
func (c *call) transcribePartial(now time.Time) {
	e := c.ears
	from := e.onsetAt.Add(-speech.DefaultPreRoll)
	n := min(int(int64(now.Sub(from))*int64(e.rate)/int64(time.Second)), e.recentLen, len(e.recent))
	pcm := make([]int16, n)
	// The ring's newest sample is just before e.recentPos.
	for i := range n {
		pcm[i] = e.recent[(e.recentPos-n+i+len(e.recent))%len(e.recent)]
	}
	c.transcribe(pcm, e.rate, now.Add(-time.Duration(n)*time.Second/time.Duration(e.rate)), now, true)
}

// transcribe runs STT on one piece of audio in its own goroutine; the result comes back on sttC.
func (c *call) transcribe(pcm []int16, rate int, start, end time.Time, partial bool) {
	e := c.ears
	e.inFlight++
	stt := c.eng.cfg.STT
	c.bg.Add(1)
	go func() {
		defer c.bg.Done()
		tr, err := stt.Transcribe(c.ctx, pcm, rate)
		select {
		case c.sttC <- sttResult{text: tr.Text, start: start, end: end, err: err, partial: partial}:
		case <-c.ctx.Done():
		}
	}()
}

// remember keeps the last partialKeep of audio for transcribePartial.
func (e *ears) remember(samples []int16) {
	for _, x := range samples {
		e.recent[e.recentPos] = x
		e.recentPos++
		if e.recentPos == len(e.recent) {
			e.recentPos = 0
		}
	}
	e.recentLen = min(e.recentLen+len(samples), len(e.recent))
}

// onTranscript handles one utterance's transcript: events, the store, the excerpt, wait
// estimates, then the human check or the navigator.
func (c *call) onTranscript(r sttResult) *endCause {
	e := c.ears
	if e != nil {
		e.inFlight--
	}
	if r.err != nil {
		if errors.Is(r.err, context.Canceled) {
			return nil
		}
		if errors.Is(r.err, speech.ErrSTTUnavailable) && e != nil && !e.degraded {
			e.degraded = true
			c.log.Warn("transcription unavailable: degraded mode", "err", r.err)
			c.emit(EventSTTDegraded, map[string]any{
				"reason":  r.err.Error(),
				"message": "transcription is unavailable; hold and human detection continue from audio alone",
			})
		} else {
			c.log.Info("utterance not transcribed", "err", r.err)
		}
		return nil
	}
	if e != nil && e.degraded {
		e.degraded = false
		c.emit(EventSTTRestored, map[string]any{"message": "transcription works again"})
	}
	text := strings.TrimSpace(r.text)
	if text == "" {
		if c.check != nil {
			return c.checkNoWords(r)
		}
		return nil
	}
	if r.partial {
		return c.onPartial(r, text)
	}
	speaker := SpeakerCompany
	if c.agentFrom(r.start) {
		speaker = SpeakerAgent
	}
	h := HeardText{Text: text, Speaker: speaker, Start: r.start, End: r.end}
	c.heard = append(c.heard, h)
	c.transcript(h)
	if c.navi != nil {
		if secs, data, ok := c.navi.WaitEstimate(text); ok {
			c.state.EstimatedWaitSeconds = &secs
			c.publish()
			c.store()
			c.emit(EventWaitEstimated, data)
		}
	}
	if c.check != nil {
		return c.checkHeard(h)
	}
	if c.navi != nil && c.state.Status == StatusOnHold && c.xfer == nil && c.speaking == "" && !c.sttDown() {
		// The transcript layer can raise a candidate itself: a greeting the acoustic
		// detector missed (it fires once per hold).
		if j := c.navi.Judge(h.Start, c.heard); j.Verdict == JudgedHuman {
			onset := c.class.heard - c.clk.Now().Sub(h.Start)
			c.log.Info("greeting heard on hold; checking the person", "phrase", j.Phrase)
			return c.checkHuman(HumanCandidate{CallID: c.id, Confidence: j.Confidence, Onset: onset,
				Evidence: map[string]any{"source": "transcript", "reason": j.Reason, "phrase": j.Phrase}, HoldSeconds: c.holdSecondsNow()},
				HumanVerdict{Human: true, Confidence: j.Confidence})
		}
	}
	if c.navigating() {
		if h.Start.Before(c.answeredAt) {
			// The rest of a prompt we already answered (we pressed or said our choice while it
			// still played): not a new menu, and not something to answer again.
			c.log.Debug("transcript of an answered prompt not navigated", "text", text)
			return nil
		}
		return c.applyNav(c.navi.Heard(c.clk.Now(), text))
	}
	return nil
}

// agentFrom says whether speech starting at t is the person's: a candidate is being checked
// or was confirmed, and the speech began at or after its onset.
func (c *call) agentFrom(t time.Time) bool {
	if c.agentSince.IsZero() {
		return false
	}
	return !t.Before(c.agentSince.Add(-time.Second))
}

// transcript publishes and stores one transcript segment.
func (c *call) transcript(h HeardText) {
	seg := &TranscriptSegment{CallID: c.id, Speaker: h.Speaker, Text: h.Text, IsFinal: true, StartAt: h.Start, EndAt: h.End}
	if err := c.eng.cfg.Store.AddTranscript(context.WithoutCancel(c.ctx), seg); err != nil {
		c.log.Error("store transcript", "err", err)
	}
	if h.Speaker != SpeakerHoldSlayer {
		c.state.TranscriptExcerpt = excerpt(h.Text, maxExcerpt)
		c.publish()
	}
	c.emit(EventTranscriptChunk, map[string]any{
		"text": h.Text, "speaker": h.Speaker, "is_final": true,
		"start": h.Start.UTC().Format(time.RFC3339Nano), "end": h.End.UTC().Format(time.RFC3339Nano),
	})
}

// onPartial handles the early transcript of a candidate's first words: shown as a
// non-final chunk, judged, never stored (the whole utterance's transcript follows).
func (c *call) onPartial(r sttResult, text string) *endCause {
	speaker := SpeakerCompany
	if c.agentFrom(r.start) {
		speaker = SpeakerAgent
	}
	c.emit(EventTranscriptChunk, map[string]any{
		"text": text, "speaker": speaker, "is_final": false,
		"start": r.start.UTC().Format(time.RFC3339Nano), "end": r.end.UTC().Format(time.RFC3339Nano),
	})
	k := c.check
	if k == nil || k.stage != checkTranscript || c.navi == nil {
		return nil
	}
	heard := append(slices.Clone(c.heard), HeardText{Text: text, Speaker: speaker, Start: r.start, End: r.end})
	if j := c.navi.Judge(k.onset, heard); j.Verdict != JudgedUndecided {
		stopTimer(&k.timer)
		return c.afterTranscript(j)
	}
	return nil
}

// sttDown reports whether transcripts cannot be expected now.
func (c *call) sttDown() bool { return c.eng.cfg.STT == nil || c.ears == nil || c.ears.degraded }

// longestRun is the longest run of false (not music) in labels, as [from, to).
func longestRun(labels []bool) (from, to int) {
	start := -1
	for i := 0; i <= len(labels); i++ {
		if i < len(labels) && !labels[i] {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 && i-start > to-from {
			from, to = start, i
		}
		start = -1
	}
	return from, to
}
