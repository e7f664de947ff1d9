package app

import (
	"context"
	"time"
)

// Audio labels the analyzer reports; they match the classifier's.
const (
	AudioSilence = "silence"
	AudioRinging = "ringing"
	AudioBusy    = "busy"
	AudioDTMF    = "dtmf"
	AudioMusic   = "music"
	AudioSpeech  = "speech"
	AudioUnknown = "unknown"
)

// Detection kinds the analyzer reports.
const (
	DetectHold        = "hold_detected"
	DetectHuman       = "human_detected"
	DetectHoldResumed = "hold_resumed"
)

// AudioAnalyzer turns the company's audio into labels and hold/human decisions, one 20 ms frame
// at a time. The call owns it and calls it from its goroutine only. The classifier package
// satisfies it through ClassifierAnalyzer; tests script it.
type AudioAnalyzer interface {
	Process(frame []int16) Analysis
	// ProcessLost is told of a frame that never arrived (AudioFrame.Filled): the media layer's
	// filler is zeros, which Process would hear as the company going silent.
	ProcessLost() Analysis
}

// AnalyzerFactory builds one analyzer per call for the audio source's sample rate.
type AnalyzerFactory func(sampleRate int) (AudioAnalyzer, error)

// Analysis is what one frame told the analyzer.
type Analysis struct {
	// Label is the current smoothed audio class (AudioMusic, AudioSpeech, ...).
	Label      string
	Confidence float64
	// Features are the frame's measurements, reported with audio_classified.
	Features AudioFeatures
	// Detections are the decisions this frame completed.
	Detections []Detection
}

// AudioFeatures are the measurements of one frame that the timeline shows. A plain value, so
// analysing a frame allocates nothing; it becomes a map only when an event carries it.
type AudioFeatures struct {
	EnergyDB    float64
	ZCR         float64
	Flatness    float64
	Pitch       float64
	Centroid    float64
	Harmonicity float64
	PSpeech     float64
	PMusic      float64
}

// Map is the features as an event payload.
func (f AudioFeatures) Map() map[string]float64 {
	return map[string]float64{
		"energy_db": round3(f.EnergyDB), "zcr": round3(f.ZCR), "flatness": round3(f.Flatness),
		"pitch_hz": round3(f.Pitch), "centroid_hz": round3(f.Centroid), "harmonicity": round3(f.Harmonicity),
		"p_speech": round3(f.PSpeech), "p_music": round3(f.PMusic),
	}
}

// Detection is a hold or human decision of the analyzer.
type Detection struct {
	Kind       string // DetectHold, DetectHuman or DetectHoldResumed
	Confidence float64
	AudioType  string
	// Onset is where in the call's audio the detected thing began.
	Onset time.Duration
	// Evidence is what the decision rests on (hold length, music under speech, ...), shown in
	// the timeline and handed to the HumanJudge.
	Evidence map[string]any
}

// HumanCandidate is a human detection waiting for a judge.
type HumanCandidate struct {
	CallID     string
	Confidence float64
	Onset      time.Duration
	Evidence   map[string]any
	// HoldSeconds is how long the call had been on hold when the candidate came.
	HoldSeconds float64
}

// HumanVerdict is a judge's answer.
type HumanVerdict struct {
	Human      bool
	Confidence float64
	// TranscriptExcerpt is what the judge heard, reported with human_detected.
	TranscriptExcerpt string
	Reason            string
}

// HumanJudge confirms or vetoes a human candidate before anyone's phone rings: ringing the user
// for a recording is the worst mistake the service can make. The speech layer (transcript,
// "are you a representative?") plugs in here. Judge runs in its own goroutine; ctx ends when
// the candidate is withdrawn or the call ends. Without a judge every candidate is accepted.
type HumanJudge interface {
	Judge(ctx context.Context, c HumanCandidate) (HumanVerdict, error)
}
