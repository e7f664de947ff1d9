package classifier

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// humanScript feeds a HumanDetector frame descriptions and records what it
// decides; each step repeats one kind of frame for a duration.
type humanScript struct {
	d     *HumanDetector
	at    time.Duration
	n     int
	dets  []Detection
	pitch float64 // Hz of the voice in speech frames (0: unvoiced)
	// blipEvery: when > 0, every blipEvery-th speech frame is heard as speech
	// over music (the model's stray bed at some voices' syllable onsets).
	blipEvery int
	// Every frame gets its own fingerprint, printOf(n + printShift): sound
	// never heard before, unless a test moves printShift back to replay a
	// stretch (a recording played again), with flipBits of each replayed
	// print's bits changed (other music or noise under it).
	printShift int
	flipBits   int
}

// printOf is a fixed pseudo-random fingerprint for frame n (splitmix64).
func printOf(n int) uint16 {
	z := uint64(n) + 0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return uint16(z ^ z>>31)
}

// onHold returns a script of a call armed for a hold that has played music
// for 10 s: the start of every scenario.
func onHold() *humanScript {
	d := NewHumanDetector(DefaultHumanMinSpeech, DefaultHumanMaxMusicShare, DefaultHumanMinConfidence)
	d.Arm(0, "music", -22)
	h := &humanScript{d: d}
	h.run(kMusic, 10*time.Second)
	return h
}

// pausedChain is a hold whose announcement (a 200 Hz voice) cut in over the
// music, went on without it and has just paused for 0.3 s: speech next is
// a probe of the chain's voice.
func pausedChain() *humanScript {
	h := onHold()
	h.pitch = 200
	h.run(kSoM, 400*time.Millisecond) // the cut-over: the model still hears the music
	h.run(kSpeech, 3*time.Second)
	h.run(kSilence, 300*time.Millisecond)
	return h
}

// frame kinds
const (
	kMusic           = iota // hold music
	kSilence                // background between sounds
	kSpeech                 // clean speech with syllable dips
	kSoM                    // speech over music
	kQuietBed               // music bed gone quiet: background level, but labelled speech
	kDoubt                  // a voice the model is unsure of: speech, but with a music-bed probability
	kUnsure                 // a voice the model gives a small music-bed probability on every frame
	kLag                    // a voice still labelled music: the context window holds the music before the gap
	kNoise                  // line noise at -45 dB, between the words of kNoisySpeech
	kNoisySpeech            // speech in that noise: 8 frames of voice, 2 dipping to the noise floor
	kHeavyNoise             // line noise at -30 dB (10 dB under a voice at -20 dB RMS)
	kLowSNRSpeech           // a voice in it: 8 frames in 10 at -22 dB, 8 dB over the noise, 2 down in it
	kLowSNRSyllables        // the same voice with its syllables' level: -22 to -11 dB, 2 frames in 10 down in the noise
	kFade                   // the hold music fading out: -22 dB down to -72 dB over the step, labelled music down to -45 dB
	kLiveMusic              // hold music with its notes' level: -22 dB, every fourth frame -34 dB
	kSoMGaps                // a voice the model hears over music, 3 frames in 5, whose gaps fall to the background (-70 dB)
	kOnsetBed               // clean speech whose syllable onsets, one frame in ten, get a music-bed probability of 0.5
	kCutGap                 // background (-70 dB) still labelled music: the context window holds the music that was cut
	kDecrescendo            // a quiet passage of the hold music: -22 dB down to -52 dB over the step, labelled music throughout
	kNoiseAsMusic           // kHeavyNoise labelled music: the pause after a voice, with the voice still in the context window
	kNoisyDoubt             // kDoubt in kHeavyNoise: its dips fall to the noise (-30 dB)
	kNoisyLag               // a voice in kHeavyNoise (-20 dB) whose music-bed probability is 0.45: the context window still holds "music"
	kDoubtGaps              // a voice the model gives a music-bed probability of 0.3 on every frame, at -15 dB, one frame in five down at the background (-70 dB)
	kNoisyDoubtGaps         // the same voice in kHeavyNoise: its gaps fall to the noise (-30 dB), 15 dB under it
	kDigital                // digital silence (-90 dB): a line with no noise once the music stops
	kSoMDeepGaps            // kSoMGaps whose gaps reach only -55 dB (the voice's tail): 40 dB under it, 35 dB over kDigital
	kDoubtDeepGaps          // kDoubtGaps whose gaps reach only -55 dB
)

func (h *humanScript) run(kind int, d time.Duration) {
	for i := 0; i < frames(d); i++ {
		var f HumanFrame
		switch kind {
		case kMusic:
			f.Raw, f.Smoothed, f.PMusicBed, f.EnergyDB = Music, Music, 0.95, -22
		case kLiveMusic:
			f.Raw, f.Smoothed, f.PMusicBed, f.EnergyDB = Music, Music, 0.95, -22
			if h.n%4 == 3 {
				f.EnergyDB = -34
			}
		case kFade:
			f.Raw, f.Smoothed, f.PMusicBed = Music, Music, 0.95
			f.EnergyDB = -22 - 50*float64(i+1)/float64(frames(d))
			if f.EnergyDB < -45 {
				f.Raw, f.Smoothed, f.PMusicBed = Silence, Silence, 0
			}
		case kDecrescendo:
			f.Raw, f.Smoothed, f.PMusicBed = Music, Music, 0.95
			f.EnergyDB = -22 - 30*float64(i+1)/float64(frames(d))
		case kSilence:
			f.Raw, f.Smoothed, f.EnergyDB = Silence, Silence, -70
		case kCutGap:
			f.Raw, f.Smoothed, f.PMusicBed, f.EnergyDB = Music, Music, 0.95, -70
		case kQuietBed:
			f.Raw, f.Smoothed, f.PSpeech, f.EnergyDB = Speech, Speech, 0.9, -70
		case kDoubt, kNoisyDoubt:
			f.Raw, f.Smoothed, f.PSpeech, f.PMusicBed, f.EnergyDB = Speech, Speech, 0.6, 0.4, -15
			if h.n%5 == 4 {
				f.EnergyDB = -40
				if kind == kNoisyDoubt {
					f.EnergyDB = -30
				}
			}
		case kUnsure:
			f.Raw, f.Smoothed, f.PSpeech, f.PMusicBed, f.EnergyDB = Speech, Speech, 0.85, 0.09, -15
			if h.n%5 == 4 {
				f.EnergyDB = -40
			}
		case kLag:
			f.Raw, f.Smoothed, f.PMusicBed, f.EnergyDB = Music, Music, 0.9, -15
		case kNoise:
			f.Raw, f.Smoothed, f.EnergyDB = Unknown, Unknown, -45
		case kHeavyNoise:
			f.Raw, f.Smoothed, f.EnergyDB = Unknown, Unknown, -30
		case kNoisyLag:
			f.Raw, f.Smoothed, f.PSpeech, f.PMusicBed, f.EnergyDB = Speech, Speech, 0.55, 0.45, -20
		case kNoiseAsMusic:
			f.Raw, f.Smoothed, f.PMusicBed, f.EnergyDB = Music, Music, 0.9, -30
		case kLowSNRSpeech:
			f.Raw, f.Smoothed, f.PSpeech, f.PMusicBed, f.EnergyDB = Speech, Speech, 0.95, 0.02, -22
			if h.n%10 >= 8 {
				f.EnergyDB = -30
			}
		case kLowSNRSyllables:
			f.Raw, f.Smoothed, f.PSpeech, f.PMusicBed = Speech, Speech, 0.98, 0.01
			f.EnergyDB = [10]float64{-22, -16, -11, -14, -20, -18, -12, -21, -30, -30}[h.n%10]
		case kNoisySpeech:
			f.Raw, f.Smoothed, f.PSpeech, f.PMusicBed, f.EnergyDB = Speech, Speech, 0.98, 0.01, -20
			if h.n%10 >= 8 {
				f.EnergyDB = -45
			}
		case kDigital:
			f.Raw, f.Smoothed, f.EnergyDB = Silence, Silence, -90
		case kSoMGaps, kSoMDeepGaps:
			f.Raw, f.Smoothed, f.PSpeech, f.PMusicBed, f.EnergyDB = Speech, Speech, 0.98, 0.01, -15
			switch h.n % 5 {
			case 0, 1, 2:
				f.MusicUnder, f.PMusicBed = true, 0.9
			case 4:
				f.Raw, f.Smoothed, f.EnergyDB = Silence, Silence, -70
				if kind == kSoMDeepGaps {
					f.EnergyDB = -55
				}
			}
		case kDoubtGaps, kNoisyDoubtGaps, kDoubtDeepGaps:
			f.Raw, f.Smoothed, f.PSpeech, f.PMusicBed, f.EnergyDB = Speech, Speech, 0.9, 0.3, -15
			if h.n%5 == 4 {
				f.Raw, f.PSpeech, f.PMusicBed, f.EnergyDB = Silence, 0, 0, -70
				switch kind {
				case kNoisyDoubtGaps:
					f.Raw, f.EnergyDB = Unknown, -30
				case kDoubtDeepGaps:
					f.EnergyDB = -55
				}
			}
		case kOnsetBed:
			f.Raw, f.Smoothed, f.PSpeech, f.PMusicBed, f.EnergyDB = Speech, Speech, 0.98, 0.01, -15
			switch h.n % 10 {
			case 0:
				f.PMusicBed = 0.5
			case 4, 9:
				f.EnergyDB = -40
			}
		case kSpeech, kSoM:
			f.Raw, f.Smoothed, f.PSpeech, f.PMusicBed = Speech, Speech, 0.98, 0.01
			f.EnergyDB = -15
			if h.n%5 == 4 { // syllable dips
				f.EnergyDB = -40
			} else if h.pitch > 0 {
				f.Pitch, f.Harmonicity = h.pitch, 0.9
			}
			if kind == kSoM || h.blipEvery > 0 && h.n%h.blipEvery == 0 {
				f.MusicUnder, f.PMusicBed = true, 0.9
			}
		}
		h.step(f)
	}
}

// step feeds f to the detector at the script's time, with the script's
// fingerprint, and records a detection.
func (h *humanScript) step(f HumanFrame) {
	f.At, f.Print = h.at, printOf(h.n+h.printShift)
	if h.printShift != 0 {
		f.Print ^= uint16(1)<<h.flipBits - 1
	}
	if det, ok := h.d.Process(f); ok {
		h.dets = append(h.dets, det)
	}
	h.at += FrameDuration
	h.n++
}

// wantOne fails the test unless exactly one human was detected, with the
// given onset and, when within > 0, confirmed no later than within after it.
func (h *humanScript) wantOne(t *testing.T, onset, within time.Duration) Detection {
	t.Helper()
	got := h.humans()
	if len(got) != 1 || got[0].Onset != onset || within > 0 && got[0].At > onset+within {
		t.Fatalf("human detections %+v, want one with onset %v, confirmed within %v (0: any time)", got, onset, within)
	}
	return got[0]
}

// wantNone fails the test if any human was detected; what names the scenario.
func (h *humanScript) wantNone(t *testing.T, what string) {
	t.Helper()
	if got := h.humans(); len(got) != 0 {
		t.Fatalf("human detections %+v %s, want none", got, what)
	}
}

func (h *humanScript) humans() []Detection {
	var out []Detection
	for _, d := range h.dets {
		if d.Kind == HumanDetected {
			out = append(out, d)
		}
	}
	return out
}

func TestHumanFastAfterCleanStop(t *testing.T) {
	h := onHold()
	h.run(kSilence, 600*time.Millisecond)
	onset := h.at
	h.run(kSpeech, 2*time.Second)
	got := h.humans()
	if len(got) != 1 {
		t.Fatalf("human detections %+v, want one", got)
	}
	d := got[0]
	if lat := d.At - onset; lat > 700*time.Millisecond || lat < 0 {
		t.Errorf("latency %v, want the fast path (<= 0.7 s)", lat)
	}
	if d.Onset != onset || d.Evidence.SilenceBeforeSpeech < 500*time.Millisecond {
		t.Errorf("evidence %+v onset %v, want onset %v and the silence before", d.Evidence, d.Onset, onset)
	}
}

func TestHumanNotOnAnnouncementWhoseBedWentQuiet(t *testing.T) {
	h := onHold()
	// An announcement over the music; the music then goes quiet under it,
	// the announcement pauses and goes on as if clean, then the bed is heard again.
	h.run(kSoM, 2*time.Second)
	h.run(kQuietBed, 300*time.Millisecond)
	h.run(kSpeech, 1200*time.Millisecond)
	h.run(kSilence, 300*time.Millisecond)
	h.run(kSpeech, 1000*time.Millisecond)
	h.run(kSoM, time.Second)
	h.run(kMusic, 5*time.Second)
	h.wantNone(t, "on an announcement whose bed went quiet")
}

func TestHumanAfterAnnouncementAndCleanGap(t *testing.T) {
	h := onHold()
	h.run(kSoM, 2*time.Second)
	h.run(kSilence, 700*time.Millisecond) // the hold ends; a person picks up
	onset := h.at
	h.run(kSpeech, 3*time.Second)
	got := h.humans()
	if len(got) != 1 {
		t.Fatalf("human detections %+v, want one", got)
	}
	if lat := got[0].At - onset; lat > time.Second {
		t.Errorf("latency %v after an announcement and a clean gap, want <= 1 s", lat)
	}
}

func TestHumanNotOnMusicResumingAsSpeech(t *testing.T) {
	h := onHold()
	h.run(kSilence, time.Second)
	// The model's first reading of resumed music is often "speech"; a
	// steady level (no syllable dips) and the music label that follows must
	// keep the fast path shut.
	for i := 0; i < frames(400*time.Millisecond); i++ {
		f := HumanFrame{At: h.at, Raw: Speech, Smoothed: Speech, PSpeech: 0.97, PMusicBed: 0.02, EnergyDB: -22}
		if det, ok := h.d.Process(f); ok && det.Kind == HumanDetected {
			t.Fatalf("false human at %v", det.At)
		}
		h.at += FrameDuration
	}
	h.run(kMusic, 5*time.Second)
	h.wantNone(t, "on music resuming after a pause")
}

// A recording that starts the moment the music is cut (no reaction gap),
// with sentence pauses under 1 s, is a playback, not a person; a voice that
// starts after a pause of 1 s or more is judged again.
func TestHumanNotOnPlaybackCutOver(t *testing.T) {
	h := onHold()
	h.run(kSilence, 60*time.Millisecond)
	for i := 0; i < 4; i++ {
		h.run(kSpeech, 1500*time.Millisecond)
		h.run(kSilence, 600*time.Millisecond)
	}
	h.wantNone(t, "on a cut-over announcement")
	h.run(kSilence, 1200*time.Millisecond)
	onset := h.at
	h.run(kSpeech, 2*time.Second)
	h.wantOne(t, onset, 0) // after the chain ended
}

// An announcement cut in when the music stopped, whose first words the
// model hears over music (its context window still holds the music), goes
// on after a pause in silence: still the announcement, never a person.
func TestHumanAnnouncementAfterSoMStartIsChained(t *testing.T) {
	h := onHold()
	h.run(kSoM, 500*time.Millisecond)
	h.run(kSpeech, 1500*time.Millisecond)
	h.run(kSilence, 600*time.Millisecond)
	h.run(kSpeech, 2*time.Second)
	h.run(kMusic, 5*time.Second)
	h.wantNone(t, "inside a chained announcement")
	// After the music and a clean stop, a person is still heard.
	h.run(kSilence, 700*time.Millisecond)
	onset := h.at
	h.run(kSpeech, 2*time.Second)
	h.wantOne(t, onset, 0)
}

// A chain whose last words had the bed under them (an announcement over
// music that stopped together with its music) ends after humanSoMGapFrames
// of quiet, so an agent who answers 0.6 s later is a candidate; one who
// answers after 0.3 s is not (that could be the same announcement).
func TestHumanChainEndsSoonerWhenBedStoppedWithIt(t *testing.T) {
	for _, tc := range []struct {
		gap  time.Duration
		want int
	}{{600 * time.Millisecond, 1}, {300 * time.Millisecond, 0}} {
		h := onHold()
		h.run(kSoM, 3*time.Second)
		h.run(kSilence, tc.gap)
		h.run(kSpeech, 1*time.Second) // shorter than humanChainGapFrames of quiet would need
		if got := h.humans(); len(got) != tc.want {
			t.Errorf("gap %v: human detections %+v, want %d", tc.gap, got, tc.want)
		}
	}
}

// An agent who answers 0.3 s after a music-stopped announcement is inside its
// chain; a voice 10 semitones away from the announcer's ends the chain, one
// at nearly the same pitch does not (a pause inside the announcement).
func TestHumanVoiceChangeEndsChain(t *testing.T) {
	for _, tc := range []struct {
		name  string
		agent float64 // Hz
		want  int
	}{{"other voice", 110, 1}, {"same voice", 190, 0}} {
		h := pausedChain()
		onset := h.at
		h.pitch = tc.agent
		h.run(kSpeech, 4*time.Second)
		got := h.humans()
		if len(got) != tc.want {
			t.Fatalf("%s: human detections %+v, want %d", tc.name, got, tc.want)
		}
		if tc.want == 1 {
			if got[0].Onset != onset || got[0].Evidence.VoiceChangeST > -9 || got[0].Evidence.Fast {
				t.Errorf("%s: detection %+v, want onset %v, a voice change of about -10 st, slow path", tc.name, got[0], onset)
			}
		}
	}
}

// A person whose first words the model was unsure of (a music-bed
// probability on every frame) is judged again on the next utterance, on its
// own, instead of being outvoted by the doubtful start.
func TestHumanCandidateJudgedAgainOnNextUtterance(t *testing.T) {
	h := onHold()
	h.run(kSilence, 600*time.Millisecond)
	h.run(kDoubt, 1*time.Second)
	h.wantNone(t, "on doubtful speech, before the clean utterance")
	h.run(kSilence, 500*time.Millisecond)
	onset := h.at
	h.run(kSpeech, 2*time.Second)
	h.wantOne(t, onset, time.Second) // judged on the clean utterance
}

// A voice the model now and then hears with a bed under it (a stray
// speech-over-music frame every 0.24 s) is still a person after a clean stop,
// confirmed within 1 s; a bed heard three times in half a second makes the
// candidate wait for it to go.
func TestHumanStrayBedFramesDoNotDelay(t *testing.T) {
	for _, tc := range []struct {
		name  string
		every int
		fast  bool
	}{{"stray", 12, true}, {"dense", 3, false}} {
		h := onHold()
		h.run(kSilence, 600*time.Millisecond)
		onset := h.at
		h.blipEvery = tc.every
		h.run(kSpeech, 4*time.Second)
		got := h.humans()
		fast := len(got) == 1 && got[0].At-onset <= time.Second
		if fast != tc.fast {
			t.Errorf("%s: human detections %+v (onset %v), want confirmed within 1 s: %v", tc.name, got, onset, tc.fast)
		}
	}
}

// An agent who answers after a pause longer than any inside a playback
// (humanChainGapFrames), following an announcement over music, is not held
// back as "the announcement may go on": confirmed within 1 s. After a
// shorter pause the candidate waits humanRecentSoMFrames.
func TestHumanLongPauseAfterAnnouncementIsNotRecent(t *testing.T) {
	for _, tc := range []struct {
		pause time.Duration
		max   time.Duration
		min   time.Duration
	}{{800 * time.Millisecond, time.Second, 0}, {500 * time.Millisecond, 3 * time.Second, 1400 * time.Millisecond}} {
		h := onHold()
		h.run(kSoM, 2*time.Second)
		h.run(kSpeech, 200*time.Millisecond) // its last words, the bed gone quiet
		h.run(kSilence, tc.pause)
		onset := h.at
		h.run(kSpeech, 3*time.Second)
		got := h.humans()
		if len(got) != 1 {
			t.Fatalf("pause %v: human detections %+v, want one", tc.pause, got)
		}
		if lat := got[0].At - onset; lat > tc.max || lat < tc.min {
			t.Errorf("pause %v: confirmed %v after the onset, want %v..%v", tc.pause, lat, tc.min, tc.max)
		}
	}
}

// A person whose first half second the model hears partly (a third) as
// speech over music is confirmed soon after those frames stop (2.1 s after
// the onset before, when any two such frames in half a second were a bed).
func TestHumanDoubtfulStartConfirmedSoon(t *testing.T) {
	h := onHold()
	h.run(kSilence, 600*time.Millisecond)
	onset := h.at
	h.blipEvery = 3
	h.run(kSpeech, 600*time.Millisecond)
	h.blipEvery = 0
	h.run(kSpeech, 3*time.Second)
	h.wantOne(t, onset, 1500*time.Millisecond)
}

// A voice the model never heard in training often gets a small music-bed
// probability on every frame (0.09 here). It is confirmed a little later
// than a clear voice: within 0.85 s (0.96 s when a bed probability asked for
// 10x more speech); a bed of 0.4 is not (TestHumanCandidateJudgedAgainOnNextUtterance).
func TestHumanUnsureVoiceConfirmed(t *testing.T) {
	h := onHold()
	h.run(kSilence, 600*time.Millisecond)
	onset := h.at
	h.run(kUnsure, 3*time.Second)
	if d := h.wantOne(t, onset, 850*time.Millisecond); d.Evidence.Fast {
		t.Fatalf("detection %+v on the fast path, want the slow one", d)
	}
}

// A candidate given up because its first half second was heard over music
// does not turn the rest of that sound into a playback: after a pause the
// person is judged again. (Before, the rest of the sound started a chain,
// and a chain whose words were clean ends only on 0.7 s of quiet.)
func TestHumanDroppedCandidateIsNotAPlayback(t *testing.T) {
	h := onHold()
	h.run(kSilence, 600*time.Millisecond)
	h.run(kSoM, 600*time.Millisecond)
	h.run(kSpeech, 500*time.Millisecond)
	h.run(kSilence, 550*time.Millisecond)
	onset := h.at
	h.run(kSpeech, 3*time.Second)
	h.wantOne(t, onset, 2*time.Second)
}

// Speech that starts 0.44 s after speech over music is past the longest
// pause inside a playback (humanSoMStartFrames): a candidate, here a person
// whose first words were heard over music and given up, speaking on for
// 1.4 s with the syllable dips of a quiet line, one sound. At 0.3 s it is
// the same sound going on, not a candidate while it lasts. (Until
// humanSoMStartFrames, 0.5 s held both back, and such a person was judged
// only after the next pause.)
func TestHumanSpeechSoonAfterSpeechOverMusic(t *testing.T) {
	for _, tc := range []struct {
		name  string
		pause time.Duration
		want  bool
	}{
		{"0.44 s after", 440 * time.Millisecond, true},
		{"0.3 s after", 300 * time.Millisecond, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := onHold()
			h.run(kSilence, 600*time.Millisecond)
			h.run(kSoM, 600*time.Millisecond)
			h.run(kSilence, tc.pause)
			onset := h.at
			h.run(kSpeech, 1400*time.Millisecond)
			if tc.want {
				h.wantOne(t, onset, time.Second)
			} else {
				h.wantNone(t, "on speech 0.3 s after speech over music")
			}
		})
	}
}

// A hold loop plays the same announcement again: the second time the music
// stops before it, so it sounds like a person after a clean stop. Heard
// before in the call, it is a recording. The same words with three of every
// sixteen bits changed (other music under them) are still the recording;
// new words in the same place are a person.
func TestHumanNotOnRepeatedRecording(t *testing.T) {
	for _, tc := range []struct {
		name    string
		replay  bool
		flip    int
		wantHit bool
	}{
		{"replayed", true, 0, false},
		{"replayed over other audio", true, 3, false},
		{"new words", false, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := onHold()
			// The announcement, cut in as the music stops: a playback chain.
			annAt := h.n
			h.run(kSpeech, 3*time.Second)
			h.run(kMusic, 20*time.Second)
			h.run(kSilence, 600*time.Millisecond)
			onset := h.at
			if tc.replay {
				h.printShift, h.flipBits = annAt-h.n, tc.flip
			}
			h.run(kSpeech, 3*time.Second)
			h.printShift = 0
			h.run(kSilence, 2*time.Second)
			got := h.humans()
			if !tc.wantHit {
				if len(got) != 0 {
					t.Fatalf("human detections %+v on a recording heard 23 s before", got)
				}
				return
			}
			d := h.wantOne(t, onset, 700*time.Millisecond)
			// The lowest of thousands of comparisons with unrelated audio.
			if d.Evidence.RepeatBER < echoMaxBER+0.05 || d.Evidence.RepeatBER > 0.5 {
				t.Errorf("RepeatBER %.3f for words never heard before, want about 0.4", d.Evidence.RepeatBER)
			}
		})
	}
}

// A person who answers after the music stopped, whose first frames the model
// still labels music (its 0.8 s window holds the music from before the gap),
// is confirmed within 1 s: those frames are the onset transition, not the
// hold audio cutting in under a playback. With a 10-frame transition they
// started a playback chain and the person was not found. When the music was
// cut off, the model goes on labelling the background after the cut music
// too; the gap is counted by the level (see humanCutDB), and the greeting is
// a candidate, not a playback found on its next sentence.
func TestHumanVoiceHeardAsMusicAtFirst(t *testing.T) {
	for _, c := range []struct {
		name string
		gap  int
		gapD time.Duration
		lag  time.Duration
	}{
		{"after a silent gap", kSilence, 400 * time.Millisecond, 300 * time.Millisecond},
		{"after a cut whose background is still labelled music", kCutGap, 500 * time.Millisecond, 100 * time.Millisecond},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := onHold()
			h.run(c.gap, c.gapD)
			onset := h.at
			h.run(kLag, c.lag)
			h.run(kSpeech, 2*time.Second)
			h.wantOne(t, onset, time.Second)
		})
	}
}

// A voice in line noise, after the music stopped.
func TestHumanVoiceInLineNoise(t *testing.T) {
	for _, c := range []struct {
		name          string
		noise, speech int
		within        time.Duration
		fast          bool
	}{
		// The level dips to the floor between words; each word is not a
		// new sound after a clean gap, so its frames are judged, not set
		// aside as an onset transition (which left nothing to judge: words
		// shorter than the transition were never confirmed).
		{"words are judged", kNoise, kNoisySpeech, 1500 * time.Millisecond, false},
		// In white noise 10 dB under the voice, it stands only 8 dB or so
		// over the noise between its words: at 9 dB (the threshold until
		// the eighth session) none of its frames counted as speech.
		{"low SNR voice counts", kHeavyNoise, kLowSNRSpeech, 1500 * time.Millisecond, false},
		// The fast path asks for syllable dips in the level; in heavy
		// noise they are shallow (the noise fills them), 11 dB here. At
		// 15 dB (until the eighth session) such a voice always took the
		// slow path.
		{"low SNR voice takes the fast path", kHeavyNoise, kLowSNRSyllables, time.Second, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := onHold()
			h.run(c.noise, 2*time.Second)
			onset := h.at
			h.run(c.speech, 3*time.Second)
			if d := h.wantOne(t, onset, c.within); c.fast && !d.Evidence.Fast {
				t.Fatalf("confirmed on the slow path (%+v), want the fast path", d.Evidence)
			}
		})
	}
}

// pauseHeardAsMusic is a hold whose music stopped into heavy line noise, a
// greeting whose first words the model doubted, and the pause after them,
// which the model hears as music for a while: its context window still
// holds the voice, though the frames are at the noise floor.
func pauseHeardAsMusic() *humanScript {
	h := onHold()
	h.run(kHeavyNoise, 2*time.Second)
	h.run(kNoisyDoubt, 1200*time.Millisecond)
	h.run(kNoiseAsMusic, 800*time.Millisecond)
	return h
}

// The frames of such a pause are no bed: the greeting's next words confirm
// the person. Counted as music (until the sixteenth session), they gave the
// candidate up as hold audio, and the next words, coming right after
// "music", began a playback chain.
func TestHumanPauseHeardAsMusicInNoise(t *testing.T) {
	h := pauseHeardAsMusic()
	next := h.at
	h.run(kLowSNRSpeech, 2*time.Second)
	// The first words were doubtful, so the next are judged on their own.
	h.wantOne(t, next, time.Second)
}

// The next words after such a pause are judged by a context window that
// still holds that "music", so the model hears a bed under their first
// frames, as under a new sound's less than 0.8 s after hold audio: they are
// its onset transition, not evidence. Judged with the shorter transition of
// a later utterance (until the sixteenth session), they made the voice wait
// for the bed to go.
func TestHumanNextWordsAfterAPauseHeardAsMusic(t *testing.T) {
	h := pauseHeardAsMusic()
	next := h.at
	h.run(kNoisyLag, 400*time.Millisecond)
	h.run(kLowSNRSpeech, 2*time.Second)
	h.wantOne(t, next, 800*time.Millisecond)
}

// A playback cut in when the music stopped, with a lone speech-over-music
// frame now and then (the model's stray bed at a syllable onset), is still a
// playback with the music cut: its 0.6 s sentence pause does not end the
// chain as the end of an announcement over music would, and what follows is
// not a person.
func TestHumanStrayBedDoesNotShortenChain(t *testing.T) {
	h := onHold()
	h.run(kSilence, 60*time.Millisecond)
	h.blipEvery = 30 // the last blip falls 8 frames before the pause
	h.run(kSpeech, 1500*time.Millisecond)
	h.run(kSilence, 600*time.Millisecond)
	h.run(kSpeech, 3*time.Second)
	h.wantNone(t, "inside a cut-over playback")
}

// Music that resumes after more than a context window of silence, and that
// the model hears as speech over music from its third frame, is not a person:
// the window holds only the silence, so those labels are the model reading
// the sound itself, not what came before the gap, and they count.
func TestHumanNotOnMusicResumingAfterLongSilence(t *testing.T) {
	h := onHold()
	h.run(kSilence, 1200*time.Millisecond)
	h.run(kSpeech, 60*time.Millisecond)
	h.run(kSoM, 300*time.Millisecond)
	h.run(kSpeech, time.Second)
	h.run(kMusic, 3*time.Second)
	h.wantNone(t, "on resumed music")
}

// A later utterance of a candidate that was not confirmed on its first is
// judged afresh, but its window holds the candidate's own words, not the
// hold audio: music heard at its start is evidence of a bed under the voice
// and shows in the detection's evidence, instead of being set aside as the
// onset transition of a sound after the hold.
func TestHumanLaterUtteranceHasShortTransition(t *testing.T) {
	h := onHold()
	h.run(kSilence, 400*time.Millisecond)
	h.run(kDoubt, time.Second)
	h.run(kSilence, 500*time.Millisecond)
	second := h.at
	h.run(kLag, 300*time.Millisecond)
	h.run(kSpeech, 3*time.Second)
	det := h.wantOne(t, second, 0)
	if det.Evidence.SpeechOverMusicShare == 0 {
		t.Errorf("evidence %+v: the music at the second utterance's start was not counted", det.Evidence)
	}
}

// A short clean greeting ("hi") is over before the fast path looks; the
// agent's next sentence carries its evidence on and is confirmed 0.4-0.5 s
// in (its onset transition, then 0.2 s of its own voice), with the onset at
// the greeting. Judged afresh, the onset would be the sentence's.
func TestHumanShortGreetingCarriesOver(t *testing.T) {
	h := onHold()
	h.run(kSilence, time.Second)
	// "Hi": clean, but over before the fast path looks; the turn pause;
	// then the sentence, which need only show its own voice for 0.2 s.
	onset := h.at
	h.run(kSpeech, 400*time.Millisecond)
	h.run(kSilence, 800*time.Millisecond)
	sentence := h.at
	h.run(kSpeech, 2*time.Second)
	d := h.wantOne(t, onset, sentence-onset+500*time.Millisecond)
	if d.At-sentence < 400*time.Millisecond {
		t.Errorf("confirmed %v into the sentence, want its onset transition and 0.2 s of its own voice first", d.At-sentence)
	}
}

// A chain that ends (a pause of humanChainGapFrames) before its probe was
// decided leaves the probe's words undecided: the announcement's last words
// or a person's short greeting. The pause confirms nothing; the next
// utterance, with a voice of its own, does.
func TestHumanUndecidedProbeWaitsForAnUtterance(t *testing.T) {
	h := pausedChain()
	onset := h.at
	h.run(kSpeech, 600*time.Millisecond) // 24 voiced frames, under humanProbeVoicedFrames
	// The pause, at the background's level, still labelled speech (in line
	// noise the smoothed label lags the voice that way).
	h.run(kQuietBed, 1500*time.Millisecond)
	h.wantNone(t, "in the pause after an undecided probe")
	h.run(kSilence, 200*time.Millisecond)
	utterance := h.at
	h.pitch = 110
	h.run(kSpeech, 2*time.Second)
	h.wantOne(t, onset, utterance-onset+600*time.Millisecond)
}

// A carried candidate is not confirmed on the evidence of the sound before:
// its next sound must show a voice of its own, with no bed under it.
func TestHumanCarriedCandidateNeedsItsOwnVoice(t *testing.T) {
	h := onHold()
	h.run(kSilence, time.Second)
	// Resumed music the model reads as a clean voice for a phrase, a gap,
	// then the music goes on with the bed now heard under it.
	h.run(kSpeech, 400*time.Millisecond)
	h.run(kSilence, 300*time.Millisecond)
	h.run(kSoM, time.Second)
	h.run(kMusic, 5*time.Second)
	h.wantNone(t, "on a carried candidate whose next sound had the bed under it")
}

// A track that ends fades out; a person cuts the music off. A voice in the
// silence after a fade is the hold system's (an announcement between
// tracks), a playback until a pause longer than a playback's own; the
// voice after that pause is judged as usual. TestHumanFastAfterCleanStop is
// the same voice after a cut.
func TestHumanFadeOutIsPlayback(t *testing.T) {
	h := onHold()
	h.run(kLiveMusic, 3*time.Second)
	h.run(kFade, 1500*time.Millisecond)
	h.run(kSilence, time.Second)
	h.run(kSpeech, 3*time.Second)
	h.wantNone(t, "on a voice after the music faded out")
	h.run(kSilence, time.Second)
	onset := h.at
	h.run(kSpeech, 2*time.Second)
	h.wantOne(t, onset, 700*time.Millisecond)

	// The same music cut off: the first voice is the person.
	h = onHold()
	h.run(kLiveMusic, 3*time.Second)
	h.run(kSilence, time.Second)
	onset = h.at
	h.run(kSpeech, 2*time.Second)
	h.wantOne(t, onset, 700*time.Millisecond)
}

// A person who picks up in a quiet passage cuts off music whose level had
// been falling like a fade's, but the music was still playing when it
// stopped dead: the voice after it is the person.
func TestHumanCutInAQuietPassage(t *testing.T) {
	h := onHold()
	h.run(kLiveMusic, 3*time.Second)
	h.run(kDecrescendo, 1500*time.Millisecond)
	h.run(kSilence, 500*time.Millisecond)
	onset := h.at
	h.run(kSpeech, 2*time.Second)
	h.wantOne(t, onset, 700*time.Millisecond)
}

// A bed fills the gaps between words. A voice the model hears over music
// on most frames, after the music stopped and a pause longer than any inside
// a playback, whose gaps fall back to the background, has none: its
// speech-over-music labels are overruled and it is a person. After a pause
// as short as a recording's own lead-in (an announcement cut in when the
// music stopped) the labels stand; so they do for an announcement over music
// after a pause in the music, whose gaps the bed fills (kSoM dips to -40 dB,
// 30 dB over the silence before).
func TestHumanGapsBetweenWordsShowNoBed(t *testing.T) {
	for _, tc := range []struct {
		name   string
		pause  time.Duration
		voice  int
		person bool
	}{
		{"silent gaps after 0.8 s", 800 * time.Millisecond, kSoMGaps, true},
		{"silent gaps after 0.4 s", 400 * time.Millisecond, kSoMGaps, false},
		{"the bed in the gaps", 800 * time.Millisecond, kSoM, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := onHold()
			h.run(kSilence, tc.pause)
			onset := h.at
			h.run(tc.voice, 3*time.Second)
			if tc.person {
				h.wantOne(t, onset, 2*time.Second)
				return
			}
			h.run(kMusic, 5*time.Second)
			h.wantNone(t, "on a voice over a bed, or after a pause as short as a recording's")
		})
	}
}

// A voice the model never heard draws a music-bed probability on every
// frame. When the gaps between its words fall to a background 55 dB under
// it, no bed can be under it and the probability does not hold it back.
// In line noise 15 dB under the voice, a bed could hide under the noise,
// and the same probability still does.
func TestHumanBedRuledOutByTheLevel(t *testing.T) {
	for _, tc := range []struct {
		name       string
		background int
		voice      int
		person     bool
	}{
		{"gaps 55 dB under the voice", kSilence, kDoubtGaps, true},
		{"gaps in noise 15 dB under it", kHeavyNoise, kNoisyDoubtGaps, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := onHold()
			h.run(tc.background, 800*time.Millisecond)
			onset := h.at
			h.run(tc.voice, 2*time.Second)
			if tc.person {
				h.wantOne(t, onset, 1500*time.Millisecond)
				return
			}
			h.wantNone(t, "on a voice whose bed could hide under the line noise")
		})
	}
}

// On a line that falls to digital silence when the music stops, the gaps
// between a person's words reach only the voice's tail, 35 dB over the
// background: 40 dB under the voice, they still show no bed under it, and
// the music-bed probability the model gives a voice it never heard does not
// hold it back. They do not show that no bed comes: when the music comes
// back under an announcement without a pause, what the model hears over it
// counts again. And in a sound the model heard as music, frames that deep
// are its quiet notes, not gaps.
func TestHumanDeepGapsShowNoBed(t *testing.T) {
	type part struct {
		kind int
		d    time.Duration
	}
	for _, tc := range []struct {
		name   string
		sound  []part // what follows 0.8 s of digital silence after the music
		person bool
	}{
		{"a person", []part{{kDoubtDeepGaps, 2 * time.Second}}, true},
		{"the music back under an announcement", []part{{kSoMDeepGaps, 400 * time.Millisecond}, {kSoM, 2 * time.Second}, {kMusic, 3 * time.Second}}, false},
		{"a new track heard as music at first", []part{{kDoubtDeepGaps, 200 * time.Millisecond}, {kLag, 40 * time.Millisecond}, {kDoubtDeepGaps, 3 * time.Second}, {kMusic, 3 * time.Second}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := onHold()
			h.run(kDigital, 800*time.Millisecond)
			onset := h.at
			for _, p := range tc.sound {
				h.run(p.kind, p.d)
			}
			if tc.person {
				h.wantOne(t, onset, 1500*time.Millisecond)
				return
			}
			h.wantNone(t, "on a sound whose deep gaps do not make it a person")
		})
	}
}

// replayOrPerson runs a scenario twice, on hold with a 180 Hz voice: once
// where a recording heard before goes on (person false), once where a
// person speaks in its pitch instead.
func replayOrPerson(t *testing.T, scenario func(t *testing.T, h *humanScript, person bool)) {
	for _, tc := range []struct {
		name   string
		person bool
	}{{"the recording goes on", false}, {"a person in its pitch", true}} {
		t.Run(tc.name, func(t *testing.T) {
			h := onHold()
			h.pitch = 180
			scenario(t, h, tc.person)
		})
	}
}

// A hold loop plays its announcement again. The second time, the chain it
// starts is known: when it pauses, what follows is compared with how the
// recording went on the first time, not by pitch. Its own next sentence
// matches and the chain goes on; a person answering in the same pitch right
// after it does not match, and is found on the voice's first words.
func TestHumanReplayedRecordingDecidesTheProbe(t *testing.T) {
	replayOrPerson(t, func(t *testing.T, h *humanScript, person bool) {
		// The recording: two sentences, cut in as the music stops.
		annAt := h.n
		h.run(kSpeech, 2*time.Second)
		h.run(kSilence, 300*time.Millisecond)
		h.run(kSpeech, 2*time.Second)
		h.run(kMusic, 20*time.Second)
		// Played again; the same frames, the same pauses.
		h.printShift = annAt - h.n
		h.run(kSpeech, 2*time.Second)
		h.run(kSilence, 300*time.Millisecond)
		onset := h.at
		if person {
			h.printShift = 0 // new words, the same pitch
		}
		h.run(kSpeech, 2*time.Second)
		h.printShift = 0
		h.run(kMusic, 5*time.Second)
		if !person {
			h.wantNone(t, "on a recording's second sentence, played again")
			return
		}
		d := h.wantOne(t, onset, 2*time.Second)
		if d.Evidence.ReplayDivergedBER <= humanReplayProbeMaxBER || d.Evidence.VoiceChangeST != 0 {
			t.Errorf("evidence %+v: want the replay comparison (above %.2f), no pitch change", d.Evidence, humanReplayProbeMaxBER)
		}
	})
}

// A looped recording whose next words after a pause are too few to decide
// its probe, then a pause long enough to end the chain: the probe is carried
// (humanCarryFrames), and what comes after the pause is still compared with
// how the recording went on the last time (corpus-v18 heldout-172-white10).
func TestHumanCarriedProbeOfARecordingHeardBefore(t *testing.T) {
	replayOrPerson(t, func(t *testing.T, h *humanScript, person bool) {
		// The first time, the music plays under the voice; the second,
		// it is too quiet to hear (ducked under line noise), and the
		// words after the first sentence are quieter: 6 bits in 16 of
		// their prints are changed, too far for a search over every
		// alignment (echoMaxBER), near enough at the probe's.
		recording := func(voice, flip int) {
			h.run(voice, 2*time.Second)
			h.run(kSilence, 300*time.Millisecond)
			h.flipBits = flip
			h.run(voice, 300*time.Millisecond) // 12 loud frames: too few to compare
			h.run(kQuietBed, time.Second)
		}
		annAt := h.n
		recording(kSoM, 0)
		h.run(kSoM, 2*time.Second)
		h.run(kMusic, 20*time.Second)
		h.wantNone(t, "on a recording over music")
		// Played again; the same frames, the same pauses.
		h.printShift = annAt - h.n
		recording(kSpeech, 6)
		if person {
			h.printShift = 0 // new words, the same pitch
		}
		words := h.at
		h.run(kSpeech, 2*time.Second)
		h.printShift, h.flipBits = 0, 0
		h.run(kMusic, 5*time.Second)
		if !person {
			h.wantNone(t, "on a recording's words after the pause that ended its chain, played again")
			return
		}
		got := h.humans()
		if len(got) != 1 || got[0].At <= words || got[0].At > words+time.Second {
			t.Fatalf("human detections %+v, want one within 1 s of the words after the pause (%v)", got, words)
		}
		if ev := got[0].Evidence; ev.ReplayDivergedBER <= humanReplayProbeMaxBER {
			t.Errorf("evidence %+v: want the replay comparison (above %.2f)", ev, humanReplayProbeMaxBER)
		}
	})
}

// A voice the model never heard gets a high music-bed probability on a few
// frames at its syllable onsets and almost none elsewhere. Those few frames
// alone must not make a short greeting wait for more speech than it has:
// the slow path leaves the highest tenth out (humanSlowBedTrimDiv): this
// greeting of 0.6 s is confirmed 0.52 s in. With the plain mean (0.059) it
// would have needed 0.66 s of speech and gone unconfirmed.
func TestHumanShortGreetingWithBedAtItsOnsets(t *testing.T) {
	h := onHold()
	h.run(kSilence, time.Second)
	onset := h.at
	h.run(kOnsetBed, 600*time.Millisecond)
	h.run(kSilence, 2*time.Second)
	d := h.wantOne(t, onset, 600*time.Millisecond)
	if d.Evidence.Fast || d.Evidence.MusicBedProb < humanFastMaxBed {
		t.Errorf("evidence %+v: want the slow path, with the plain mean bed above %v", d.Evidence, humanFastMaxBed)
	}
}

// trimmedBed is the mean without the highest tenth, at most humanBedTopMax
// of them, whatever order the values come in.
func TestTrimmedBedLeavesOutTheHighestTenth(t *testing.T) {
	d := &HumanDetector{}
	var vals []float64
	for i := range 1000 {
		v := float64(printOf(i)) / 65535
		vals = append(vals, v)
		d.speechN++ // a judged speech frame
		d.keepBed(v)
		n := len(vals)
		sorted := slices.Clone(vals)
		slices.Sort(sorted)
		keep := n - min(n-n*9/10, humanBedTopMax)
		if n < 4 {
			keep = n
		}
		want := 0.0
		for _, x := range sorted[:keep] {
			want += x
		}
		want /= float64(keep)
		if got := d.trimmedBed(); math.Abs(got-want) > 1e-9 {
			t.Fatalf("after %d values: trimmed bed %.6f, want %.6f", n, got, want)
		}
	}
}

// A stopped-music announcement starts 0.1-0.2 s after its music: a gap
// measured from a cut is 0.1 s longer than one measured by the labels, so
// an announcement 0.24 s after the cut is still a playback.
func TestHumanStoppedAnnouncementSoonAfterACut(t *testing.T) {
	h := onHold()
	h.run(kCutGap, 240*time.Millisecond)
	h.run(kSpeech, 3*time.Second)
	h.wantNone(t, "on an announcement 0.24 s after the music stopped")
}

// Music whose phrases stop dead every 0.6 s cuts itself: a cut so soon
// after the one before is not a pickup, and a phrase the model takes for a
// voice after it is the music going on.
func TestHumanNotOnMusicThatCutsItself(t *testing.T) {
	h := onHold()
	for range 6 {
		h.run(kMusic, 200*time.Millisecond)
		h.run(kCutGap, 400*time.Millisecond)
	}
	h.run(kSpeech, time.Second)
	h.run(kMusic, 3*time.Second)
	h.wantNone(t, "on music that stops and starts again")
}

// State says what the detector is doing, for tracing a call: nothing before
// a hold, the music bed while it plays, the candidate and its evidence while
// a voice is judged, and fired once a person was detected.
func TestHumanStateDescribesTheDetector(t *testing.T) {
	d := NewHumanDetector(DefaultHumanMinSpeech, DefaultHumanMaxMusicShare, DefaultHumanMinConfidence)
	if got := d.State(); got != "" {
		t.Fatalf("State before a hold = %q, want empty", got)
	}
	if got := d.Holdup(); got != "" {
		t.Fatalf("Holdup before a hold = %q, want empty", got)
	}
	h := onHold()
	if got := h.d.Holdup(); got != "no candidate" {
		t.Fatalf("Holdup in the hold music = %q, want %q", got, "no candidate")
	}
	if got := h.d.State(); got != "bed" {
		t.Fatalf("State in the hold music = %q, want %q", got, "bed")
	}
	h.run(kSilence, time.Second)
	h.run(kSpeech, 200*time.Millisecond)
	if got := h.d.State(); !strings.HasPrefix(got, "cand 0.20s speech 10 ") || !strings.Contains(got, "doubted") || !strings.HasSuffix(got, " waits speech") {
		t.Fatalf("State 0.2 s into a voice = %q, want a doubted candidate of 0.20 s with 10 speech frames, waiting for more speech", got)
	}
	h.run(kSpeech, 200*time.Millisecond)
	if got := h.d.State(); !strings.HasSuffix(got, " waits no-bed 0.5s") {
		t.Fatalf("State 0.4 s into a voice = %q, want it waiting to be 0.5 s old without a music bed", got)
	}
	if got := h.d.Holdup(); got != "candidate waits no-bed" {
		t.Fatalf("Holdup 0.4 s into a voice = %q, want %q", got, "candidate waits no-bed")
	}
	h.run(kSpeech, 2*time.Second)
	h.wantOne(t, 11*time.Second, 0)
	if got := h.d.State(); got != "fired" {
		t.Fatalf("State after the detection = %q, want %q", got, "fired")
	}
	if got := h.d.Holdup(); got != "" {
		t.Fatalf("Holdup after the detection = %q, want empty", got)
	}

	// Speech cut in over the music's end is a playback chain.
	h = onHold()
	h.run(kSoM, 400*time.Millisecond)
	h.run(kSpeech, time.Second)
	if got := h.d.Holdup(); got != "playback chain" {
		t.Fatalf("Holdup in an announcement cut in over the music = %q (state %q), want %q", got, h.d.State(), "playback chain")
	}

	// Speech after a pause inside a playback chain is a probe of the
	// chain's voice, and says how much of the voice it has heard.
	h = pausedChain()
	h.run(kSpeech, 200*time.Millisecond)
	if got := h.d.State(); !regexp.MustCompile(` probe voiced [1-9][0-9]* waits probe chain$`).MatchString(got) {
		t.Fatalf("State 0.2 s into speech after a pause in a chain = %q, want a probe with its voiced frames counted, in the chain", got)
	}
	if got := h.d.Holdup(); got != "probe of a playback's voice" {
		t.Fatalf("Holdup of a probe = %q, want %q", got, "probe of a playback's voice")
	}
}

// levels feeds one frame per level, labelled l (music frames with a
// music-bed probability): the shape of a cut, step by step.
func (h *humanScript) levels(l Label, dbs ...float64) {
	for _, e := range dbs {
		f := HumanFrame{Raw: l, Smoothed: l, EnergyDB: e}
		if l == Music {
			f.PMusicBed = 0.95
		}
		h.step(f)
	}
}

// holdOnLine returns a hold on a line whose background is at line dB,
// heard for 1 s before 9 s of music at about -25 dB.
func holdOnLine(line float64) *humanScript {
	d := NewHumanDetector(DefaultHumanMinSpeech, DefaultHumanMaxMusicShare, DefaultHumanMinConfidence)
	d.Arm(0, "music", -25)
	h := &humanScript{d: d}
	for range frames(time.Second) {
		h.levels(Unknown, line)
	}
	for range 45 {
		h.levels(Music, -25, -24, -26, -25, -23, -25, -24, -26, -25, -27)
	}
	return h
}

// A person who picks up in a quiet passage of the music on a noisy line
// cuts it 9 dB into the noise, less than a deep cut's 15 dB; the model
// labels the 0.7 s of noise after the cut music (its window still holds
// the music) and the greeting is confirmed as a person's, not taken for
// the announcement cutting in after the music (a playback chain, found on
// the agent's next sentence).
func TestHumanCutIntoTheLineNoise(t *testing.T) {
	h := holdOnLine(-45)
	h.levels(Music, -33, -35, -34, -35)
	lag := make([]float64, 35) // the noise after the cut, labelled music
	for i := range lag {
		lag[i] = -44 - float64(i%3)
	}
	h.levels(Music, lag...)
	h.run(kNoise, 100*time.Millisecond)
	onset := h.at
	h.run(kNoisySpeech, 2*time.Second)
	h.wantOne(t, onset, time.Second)
}

// A floor cut (see humanFloorCutDB) is a drop of the playing music to the
// line's own background. A dip of the music to the 1.5 s floor on a quiet
// line is not one (the line was 30 dB quieter within 10 s), nor is a fade's
// last step into the noise (the music was no longer playing at its level),
// and a floor cut does not keep a deep cut just after it from counting.
func TestFloorCutIsTheMusicStoppingAtTheLine(t *testing.T) {
	t.Run("into the line noise", func(t *testing.T) {
		h := holdOnLine(-45)
		h.levels(Music, -33, -35, -44)
		if !h.d.afterCut {
			t.Fatalf("a 9 dB drop of playing music into the line noise is no cut (state %q)", h.d.State())
		}
	})
	t.Run("a dip on a quiet line", func(t *testing.T) {
		h := holdOnLine(-70)
		h.levels(Music, -20, -22, -29)
		if h.d.afterCut {
			t.Fatalf("a 9 dB dip of the music 41 dB over the line is a cut (state %q)", h.d.State())
		}
	})
	t.Run("the last step of a fade", func(t *testing.T) {
		h := holdOnLine(-45)
		h.levels(Music, -26, -28, -29, -31, -32, -34, -35, -37, -38, -40)
		h.levels(Music, -41, -42, -41, -42, -41, -42, -41, -42, -41, -41)
		h.levels(Music, -47)
		if h.d.afterCut {
			t.Fatalf("a fade's last step is a cut (state %q)", h.d.State())
		}
	})
	t.Run("a deep cut after a floor cut", func(t *testing.T) {
		h := holdOnLine(-45)
		h.levels(Music, -33, -35, -44)
		h.levels(Music, -25, -24, -26, -25, -23, -25, -24, -26, -25, -26) // the music goes on: 0.2 s
		if h.d.afterCut {
			t.Fatalf("after-cut still set when the music came back")
		}
		h.levels(Music, -25, -24, -45)
		if !h.d.afterCut {
			t.Fatalf("a deep cut 0.26 s after a floor cut does not count (state %q)", h.d.State())
		}
	})
}

// A voice whose onset rises out of the background for a frame or two before
// it is loud still follows the pause: its first frames, which the model
// still labels music, are its onset transition, not hold audio under it.
func TestHumanOnsetRampKeepsThePause(t *testing.T) {
	h := onHold()
	h.run(kSilence, 400*time.Millisecond)
	h.levels(Unknown, -63.5, -63) // between the background (-70 dB) and a sound
	onset := h.at
	h.run(kLag, 300*time.Millisecond)
	h.run(kSpeech, 2*time.Second)
	h.wantOne(t, onset, time.Second)
}

// A greeting whose onset rises a few decibels out of the line noise before
// it is loud (a breath, a consonant) follows the pause, not a fade: the
// pause before those frames, under the music's level, is no fade-out of
// the hold audio. Counted as one, the greeting began a playback chain and
// was not found while it went on.
func TestHumanOnsetRampIsNoFade(t *testing.T) {
	h := holdOnLine(-45)
	h.run(kSoM, time.Second) // an announcement over the music
	h.levels(Speech, -18, -21, -24, -27, -30, -33, -36, -39, -42)
	h.run(kNoise, time.Second)
	h.levels(Unknown, -38.5, -38) // between the background and a sound
	onset := h.at
	h.run(kNoisySpeech, 2*time.Second)
	h.wantOne(t, onset, 2*time.Second)
}

// A carried candidate's next utterance may start with a few frames the
// model hears over music (an unheard voice, the context window still
// holding the pause): fewer than a bed, they hold it back only until 0.2 s
// of its own voice follows them. A bed in it still does (see
// TestHumanCarriedCandidateNeedsItsOwnVoice).
func TestHumanCarriedUtteranceOutlivesStrayBedFrames(t *testing.T) {
	for _, c := range []struct {
		stray time.Duration
		fire  bool
	}{
		{80 * time.Millisecond, true},   // 4 frames: model noise
		{100 * time.Millisecond, false}, // 5: a bed
	} {
		t.Run(fmt.Sprint(c.stray), func(t *testing.T) {
			h := onHold()
			h.run(kSilence, time.Second)
			onset := h.at
			h.run(kSpeech, 400*time.Millisecond) // "hi", over before the fast path looks
			h.run(kSilence, 800*time.Millisecond)
			h.run(kSpeech, 200*time.Millisecond) // the sentence's onset transition
			h.run(kSoM, c.stray)
			stray := h.at
			h.run(kSpeech, 2*time.Second)
			if !c.fire {
				h.wantNone(t, fmt.Sprintf("on an utterance with %v of speech over music", c.stray))
				return
			}
			d := h.wantOne(t, onset, stray-onset+time.Second)
			if d.At < stray+200*time.Millisecond {
				t.Errorf("confirmed %v after the stray frames, want 0.2 s of the voice after them first", d.At-stray)
			}
		})
	}
}

// An agent's greeting that ends before the slow path's wait is over (the
// wait after an announcement over music, humanRecentSoMFrames) is confirmed
// in the pause after it, once the wait has passed with no bed heard: the
// agent may be waiting for an answer. Words too short to judge (a "hi",
// even after a clean stop, where the fast path needs no wait), words the
// model was unsure of (a small bed probability on every frame: doubted),
// and a pause with the music back are not.
func TestHumanConfirmedInThePauseAfterAGreeting(t *testing.T) {
	for _, c := range []struct {
		name      string
		cleanStop bool
		words     int
		length    time.Duration
		pause     int
		fire      bool
	}{
		{"a clean greeting", false, kSpeech, 1100 * time.Millisecond, kSilence, true},
		{"a clean greeting in line noise", false, kSpeech, 1100 * time.Millisecond, kNoise, true},
		{"a hi after a clean stop", true, kSpeech, 400 * time.Millisecond, kSilence, false},
		{"words the model was unsure of", false, kUnsure, 1100 * time.Millisecond, kSilence, false},
		{"music back in the pause", false, kSpeech, 1100 * time.Millisecond, kMusic, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := onHold()
			if c.cleanStop {
				h.run(kSilence, time.Second)
			} else {
				h.run(kSoM, 2*time.Second)
				h.run(kSpeech, 200*time.Millisecond) // its last words, the bed gone quiet
				h.run(kSilence, 500*time.Millisecond)
			}
			onset := h.at
			h.run(c.words, c.length)
			end := h.at
			h.run(c.pause, 3*time.Second)
			if !c.fire {
				h.wantNone(t, "in the pause after "+c.name)
				return
			}
			d := h.wantOne(t, onset, 2*time.Second)
			if d.At <= end {
				t.Errorf("confirmed %v before the words ended, want the pause to confirm them", end-d.At)
			}
		})
	}
}
