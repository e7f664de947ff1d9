package classifier

import "time"

// HoldDetector decides that the call is on hold from smoothed labels:
// sustained music (music with announcements over it counts), or long silence
// after the call was answered. It emits hold_detected once per hold. A
// break of up to Gap in the hold audio keeps the run of it going; so does an
// announcement with the music stopped (speech, up to holdAnnouncementGap,
// with no more than Gap of anything else in it, after at least
// holdMusicBeforeAnnouncement of hold audio): a loop of 5 s of music and a
// 4 s announcement is a hold, though no stretch of its music lasts 6 s.
type HoldDetector struct {
	MinMusic   time.Duration
	MinSilence time.Duration
	Gap        time.Duration

	onHold     bool
	answered   bool // something other than tones was heard
	runStart   time.Duration
	runFrames  int // hold-audio frames in the current run
	annFrames  int // of which speech over music
	gapFrames  int // frames since the run's last hold audio
	gapOther   int // of which not speech
	silence    int // consecutive silent frames
	silenceAt  time.Duration
	holdAudio  string
	holdSince  time.Duration
	lastHoldAt time.Duration // last frame of hold audio
	holdLevel  float64       // running level of the hold audio, dBFS
}

// NewHoldDetector returns a detector with the given thresholds.
func NewHoldDetector(minMusic, minSilence, gap time.Duration) *HoldDetector {
	return &HoldDetector{MinMusic: minMusic, MinSilence: minSilence, Gap: gap}
}

// Reset forgets the hold.
func (h *HoldDetector) Reset() {
	*h = HoldDetector{MinMusic: h.MinMusic, MinSilence: h.MinSilence, Gap: h.Gap}
}

// OnHold reports whether the call is on hold now.
func (h *HoldDetector) OnHold() bool { return h.onHold }

// Leave ends the hold (a human answered).
func (h *HoldDetector) Leave() { h.onHold, h.runFrames, h.annFrames = false, 0, 0 }

// Process takes the smoothed label of the frame starting at at. It returns
// a detection when the hold begins.
func (h *HoldDetector) Process(l Label, musicUnder bool, energyDB float64, at time.Duration) (Detection, bool) {
	switch l {
	case Ringing, Busy:
		h.answered = false
		h.runFrames, h.annFrames, h.silence = 0, 0, 0
		return Detection{}, false
	case Silence:
		if h.silence == 0 {
			h.silenceAt = at
		}
		h.silence++
	default:
		h.silence = 0
		h.answered = true
	}
	holdAudio := l == Music || (l == Speech && musicUnder)
	if holdAudio {
		if h.runFrames == 0 {
			h.runStart = at
		}
		h.runFrames++
		if l == Speech {
			h.annFrames++
		}
		h.gapFrames, h.gapOther = 0, 0
		h.lastHoldAt = at
		h.holdLevel = 0.98*h.holdLevel + 0.02*energyDB
		if h.runFrames == 1 {
			h.holdLevel = energyDB
		}
	} else if h.runFrames > 0 {
		h.gapFrames++
		if l != Speech {
			h.gapOther++
		}
		announcement := h.runFrames >= frames(holdMusicBeforeAnnouncement) && h.gapFrames <= frames(holdAnnouncementGap)
		if !h.onHold && (h.gapOther > frames(h.Gap) || h.gapFrames > frames(h.Gap) && !announcement) {
			h.runFrames, h.annFrames = 0, 0
		}
	}
	if h.onHold {
		return Detection{}, false
	}
	// The run's frames that were not speech over music were music alone.
	if h.runFrames >= frames(h.MinMusic) && h.runFrames-h.annFrames >= frames(holdMinMusicAlone) {
		h.onHold = true
		h.holdSince = h.runStart
		h.holdAudio = "music"
		if h.annFrames*2 > h.runFrames {
			h.holdAudio = "announcement"
		}
		return Detection{Kind: HoldDetected, At: at + FrameDuration, Onset: h.runStart,
			Confidence: holdConfidence(h.runFrames, frames(h.MinMusic)), AudioType: h.holdAudio}, true
	}
	if h.answered && h.silence >= frames(h.MinSilence) {
		h.onHold = true
		h.holdSince = h.silenceAt
		h.holdAudio = "silence"
		h.lastHoldAt = at
		return Detection{Kind: HoldDetected, At: at + FrameDuration, Onset: h.silenceAt,
			Confidence: 0.7, AudioType: "silence"}, true
	}
	return Detection{}, false
}

// holdAnnouncementGap: the longest announcement with the music stopped that
// keeps a run of hold audio going (see HoldDetector). Hold-loop
// announcements last 3-10 s. Eleventh session, corpus-v16 (the person picks
// up anywhere in the hold, so holds are shorter): of 192 calls with a
// person, a train call (music 4.8, 5.0 and 3.8 s between 6.7 s
// announcements) never went on hold, so the human detector was never armed.
const holdAnnouncementGap = 15 * time.Second

// holdMinMusicAlone: the music a run of hold audio must have had with no
// voice over it. In heavy line noise the model can hear an IVR prompt as
// speech over music from its first word to its last; in the corpora's 1,552
// holds (seventeenth session) four were found that way, 6-8 s before any
// music, all on speech over music alone, while every real hold had heard at
// least 0.62 s of music alone by the time it was found.
const holdMinMusicAlone = 400 * time.Millisecond

// holdMusicBeforeAnnouncement: the hold audio a run must have before speech
// longer than Gap counts as an announcement of the hold rather than, say,
// an IVR prompt after a few frames the model took for music.
const holdMusicBeforeAnnouncement = 2 * time.Second

func holdConfidence(n, need int) float64 {
	c := 0.8 + 0.2*float64(n-need)/float64(need)
	if c > 0.99 {
		c = 0.99
	}
	return c
}
