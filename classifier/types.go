package classifier

import "time"

// Label is what a stretch of call audio sounds like.
type Label string

// Labels, spelled as the API and the classify command print them.
const (
	Silence Label = "silence"
	Ringing Label = "ringing"
	Busy    Label = "busy" // busy, reorder (fast busy) or SIT; see FrameResult.ToneKind
	DTMF    Label = "dtmf"
	Music   Label = "music"
	Speech  Label = "speech"
	Unknown Label = "unknown" // noise or anything else
)

// AllLabels lists the labels in a fixed order, for reports and confusion matrices.
var AllLabels = []Label{Silence, Ringing, Busy, DTMF, Music, Speech, Unknown}

// Features are the per-frame measurements kept for the timeline and for
// debugging a classification.
type Features struct {
	EnergyDB    float64 // frame level in dBFS (full-scale square wave = 0)
	ZCR         float64 // zero crossings per sample
	Flatness    float64 // spectral flatness 300-3400 Hz, 0 (tonal) .. 1 (white)
	Flux        float64 // change of the normalised spectrum from the previous frame
	Pitch       float64 // Hz, 0 when unvoiced
	Harmonicity float64 // normalised autocorrelation peak at the pitch lag, 0..1
	Mod4Hz      float64 // share of the energy envelope's modulation in 2.5-7.5 Hz (syllable rate)
	Centroid    float64 // spectral centroid in Hz
	ToneRatio   float64 // share of the frame's energy in the strongest call-progress tone band
	// Probabilities of the context model for this frame.
	PSilence, PMusic, PSpeech, PNoise, PSpeechOverMusic float64
}

// FrameResult is the classification of one 20 ms frame.
type FrameResult struct {
	Label      Label
	Confidence float64
	Digit      byte   // DTMF digit ('0'-'9', '*', '#', 'A'-'D') when Label is DTMF
	ToneKind   string // "busy", "reorder", "sit", "ringback-us", ... when known
	// MusicUnder is set when speech is heard over a music bed.
	MusicUnder bool
	Features   Features
}

// Segment is a stretch of audio with one smoothed label.
type Segment struct {
	Start, End time.Duration
	Label      Label
	Confidence float64
	ToneKind   string `json:",omitempty"`
	Digits     string `json:",omitempty"` // DTMF digits heard in the segment
}

// DetectionKind names a call-level event derived from the segments.
type DetectionKind string

// Detection kinds.
const (
	HoldDetected  DetectionKind = "hold_detected"
	HumanDetected DetectionKind = "human_detected"
	// HoldResumed means a speech candidate turned out to be hold again
	// (music came back after the speech), so a human detection was wrong.
	HoldResumed DetectionKind = "hold_resumed"
)

// Detection is a call-level event: on hold, or a human started speaking.
type Detection struct {
	Kind       DetectionKind
	At         time.Duration // when the detector decided
	Onset      time.Duration // when the evidence started (speech onset for humans)
	Confidence float64
	AudioType  string // for hold: "music", "silence" or "announcement"
	Evidence   HumanEvidence
}

// HumanEvidence is what the acoustic layer saw, so that the transcript layer
// can confirm or veto a human detection.
type HumanEvidence struct {
	HoldDuration   time.Duration // length of the hold before the speech
	HoldAudio      string        // what the hold sounded like: music, silence, announcement
	SpeechDuration time.Duration // speech heard up to the decision
	// MusicUnderSpeech is true when the hold music seemed to continue under
	// the speech (a recorded announcement over music).
	MusicUnderSpeech bool
	// SpeechOverMusicShare is the share of candidate frames the model
	// judged as speech over music (0..1).
	SpeechOverMusicShare float64
	// MeanSpeechProb is the mean speech probability over the candidate.
	MeanSpeechProb float64
	// MusicBedProb is the mean probability of music or speech over music
	// over the candidate's speech frames.
	MusicBedProb float64
	// RecentSpeechOverMusic is the decaying share (about 2 s memory) of
	// speech-over-music frames at the decision.
	RecentSpeechOverMusic float64
	// LevelChangeDB is the speech level minus the hold audio level.
	LevelChangeDB float64
	// SilenceBeforeSpeech is the background-level time between the end of
	// the hold audio and the speech onset (music stopping before a person
	// talks is typical).
	SilenceBeforeSpeech time.Duration
	// Fast is true when the detection took the fast path: a clean stop of
	// the hold audio, no recent announcement over music, and no music bed in
	// the speech; false when it needed the longer, bed-weighted confirmation.
	Fast bool
	// RepeatBER is the lowest share of fingerprint bits (see echo.go) in
	// which the speech differed from any audio heard 8 s to 2 min earlier in
	// the call: about 0.4 for unrelated audio (the best of thousands of
	// alignments; 0.37-0.45 for the validation calls' agents), 1 when too
	// little was heard to compare. At or below 0.30 the speech is taken for
	// a recording played again and not reported; close above it, the
	// transcript layer may look twice.
	RepeatBER float64
	// VoiceChangeST is set when the speech came right after a playback (an
	// announcement) without the pause that would end it: the pitch change in
	// semitones from the playback's voice to this one, which is what let it
	// through (0 when no comparison was needed).
	VoiceChangeST float64
	// ReplayDivergedBER is set instead when that playback was a recording
	// heard before in the call: the share of fingerprint bits in which the
	// speech differed from how the recording went on the last time (above
	// 0.42 it is another voice; 0 when no comparison was needed).
	ReplayDivergedBER float64
}
