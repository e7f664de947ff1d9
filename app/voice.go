package app

import (
	"math"
	"time"

	"github.com/holdslayer/holdslayer/app/speech"
)

// Voice tracking sizes.
const (
	// voiceMarks is how many frames of voice activity are remembered (30 s of 20 ms frames):
	// enough to look back over a live-check phrase and the candidate's speech before it.
	voiceMarks = 1500
	// envFrames is how much of each utterance's energy envelope is kept (3 s).
	envFrames = 150
	// envMinFrames is the least envelope two utterances must share to be compared (0.8 s).
	envMinFrames = 40
	// envMaxLag is how far (in frames) two envelopes may be shifted against each other.
	envMaxLag = 5
	// envKeep bounds the envelopes remembered per call.
	envKeep = 32
	// envSimilar is the correlation above which two envelopes are the same recording.
	envSimilar = 0.9
)

// voiceMark is what one frame of the company's audio was: voice (the VAD inside an
// utterance) and whether the classifier called it music.
type voiceMark struct {
	at     time.Time
	voiced bool
	music  bool
}

// utterEnv is the energy envelope (dB per 20 ms frame) of one utterance.
type utterEnv struct {
	start time.Time
	env   []float64
}

// voiceTrack follows the company's voice frame by frame for the acoustic checks, which work
// without transcripts: who talked while we spoke, when an answer began, and whether an
// utterance repeats one heard earlier (a recording). The call goroutine owns it.
type voiceTrack struct {
	marks []voiceMark
	next  int
	full  bool

	speaking bool
	onsetAt  time.Time // clock time of the last VAD onset
	offsetAt time.Time // clock time of the last VAD offset
	cur      utterEnv  // the utterance in progress
	past     []utterEnv
}

func newVoiceTrack() *voiceTrack { return &voiceTrack{marks: make([]voiceMark, voiceMarks)} }

// push records one frame. ev is the VAD's event for it; music is the classifier's label.
func (v *voiceTrack) push(now time.Time, ev speech.VADEventKind, speaking, music bool, samples []int16) {
	switch ev {
	case speech.VADOnset:
		v.onsetAt = now.Add(-speech.FrameDuration * time.Duration(speech.DefaultOnsetFrames-1))
		v.cur = utterEnv{start: v.onsetAt, env: make([]float64, 0, envFrames)}
	case speech.VADOffset:
		v.offsetAt = now
		v.finish()
	}
	v.speaking = speaking
	if speaking && len(v.cur.env) < envFrames {
		v.cur.env = append(v.cur.env, levelDB(samples))
	}
	v.marks[v.next] = voiceMark{at: now, voiced: speaking && !music, music: music}
	v.next++
	if v.next == len(v.marks) {
		v.next, v.full = 0, true
	}
}

// finish files the utterance in progress with the earlier ones.
func (v *voiceTrack) finish() {
	if len(v.cur.env) >= envMinFrames {
		if len(v.past) == envKeep {
			copy(v.past, v.past[1:])
			v.past = v.past[:envKeep-1]
		}
		v.past = append(v.past, v.cur)
	}
	v.cur = utterEnv{}
}

// span sums the frames in [from, to): voiced and music frame counts, all frames, and the
// longest run of frames that were neither voice nor music (a pause).
func (v *voiceTrack) span(from, to time.Time) (voiced, music, frames int, longestQuiet time.Duration) {
	n := v.next
	if v.full {
		n = len(v.marks)
	}
	run := 0
	best := 0
	for i := range n {
		m := v.marks[(v.next-n+i+len(v.marks))%len(v.marks)]
		if m.at.Before(from) || !m.at.Before(to) {
			continue
		}
		frames++
		switch {
		case m.music:
			music++
			run = 0
		case m.voiced:
			voiced++
			run = 0
		default:
			run++
			best = max(best, run)
		}
	}
	return voiced, music, frames, time.Duration(best) * speech.FrameDuration
}

// repeats reports whether the utterance that started at or after since (the current one if
// none finished) has the envelope of an utterance heard before since: a recording again.
func (v *voiceTrack) repeats(since time.Time) (bool, float64) {
	var cand []float64
	for _, u := range v.past {
		if !u.start.Before(since.Add(-time.Second)) {
			cand = u.env
			break
		}
	}
	if cand == nil {
		cand = v.cur.env
	}
	if len(cand) < envMinFrames {
		return false, 0
	}
	best := 0.0
	for _, u := range v.past {
		if !u.start.Before(since.Add(-time.Second)) {
			continue
		}
		best = max(best, envCorrelation(cand, u.env))
	}
	return best >= envSimilar, best
}

// envCorrelation is the best Pearson correlation of two envelopes' common prefix over small
// shifts; 0 when they share too little.
func envCorrelation(a, b []float64) float64 {
	best := 0.0
	for lag := -envMaxLag; lag <= envMaxLag; lag++ {
		x, y := a, b
		if lag > 0 {
			if lag >= len(x) {
				continue
			}
			x = x[lag:]
		} else if lag < 0 {
			if -lag >= len(y) {
				continue
			}
			y = y[-lag:]
		}
		n := min(len(x), len(y))
		if n < envMinFrames {
			continue
		}
		best = max(best, pearson(x[:n], y[:n]))
	}
	return best
}

func pearson(x, y []float64) float64 {
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	n := float64(len(x))
	mx, my = mx/n, my/n
	var sxy, sxx, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return 0
	}
	return sxy / math.Sqrt(sxx*syy)
}

// levelDB is a frame's energy in dBFS, floored at -90.
func levelDB(samples []int16) float64 {
	if len(samples) == 0 {
		return -90
	}
	var sum float64
	for _, s := range samples {
		f := float64(s)
		sum += f * f
	}
	ms := sum / float64(len(samples)) / (32768 * 32768)
	if ms <= 1e-9 {
		return -90
	}
	return 10 * math.Log10(ms)
}
