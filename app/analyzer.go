package app

import (
	"fmt"

	"github.com/holdslayer/holdslayer/classifier"
)

// ClassifierAnalyzer is the production AudioAnalyzer: the classifier pipeline (features,
// context model, smoothing, hold and human detectors) behind the engine's small interface.
type ClassifierAnalyzer struct {
	p *classifier.Pipeline
}

var _ AudioAnalyzer = (*ClassifierAnalyzer)(nil)

// NewClassifierAnalyzer returns the factory main passes as EngineConfig.Analyzer. Its
// pipelines are live ones (classifier.Config.Live): the engine records segments from the
// frames as they come, so the pipeline keeps none and a long hold costs no memory.
func NewClassifierAnalyzer(cfg classifier.Config) AnalyzerFactory {
	cfg.Live = true
	return func(sampleRate int) (AudioAnalyzer, error) {
		p, err := classifier.NewPipeline(sampleRate, cfg)
		if err != nil {
			return nil, fmt.Errorf("classifier pipeline: %w", err)
		}
		return &ClassifierAnalyzer{p: p}, nil
	}
}

// Process classifies one frame. It allocates only when a detection is made.
func (a *ClassifierAnalyzer) Process(frame []int16) Analysis { return analysis(a.p.Process(frame)) }

// ProcessLost tells the pipeline that a frame never arrived, so it does not hear the media
// layer's filler as the company's audio (classifier.Pipeline.ProcessLost).
func (a *ClassifierAnalyzer) ProcessLost() Analysis { return analysis(a.p.ProcessLost()) }

// analysis converts the pipeline's result for the engine.
func analysis(r classifier.Result) Analysis {
	f := r.Frame.Features
	out := Analysis{
		Label:      string(r.Current),
		Confidence: r.CurrentConfidence,
		Features: AudioFeatures{
			EnergyDB: f.EnergyDB, ZCR: f.ZCR, Flatness: f.Flatness, Pitch: f.Pitch, Centroid: f.Centroid,
			Harmonicity: f.Harmonicity, PSpeech: f.PSpeech, PMusic: f.PMusic,
		},
	}
	if len(r.Detections) > 0 {
		out.Detections = make([]Detection, len(r.Detections))
		for i, d := range r.Detections {
			out.Detections[i] = Detection{
				Kind: string(d.Kind), Confidence: d.Confidence, AudioType: d.AudioType,
				Onset: d.Onset, Evidence: evidenceMap(d),
			}
		}
	}
	return out
}

func evidenceMap(d classifier.Detection) map[string]any {
	if d.Kind != classifier.HumanDetected {
		return map[string]any{"at_s": round1(d.At.Seconds())}
	}
	e := d.Evidence
	return map[string]any{
		"at_s":                    round1(d.At.Seconds()),
		"hold_duration_s":         round1(e.HoldDuration.Seconds()),
		"hold_audio":              e.HoldAudio,
		"speech_duration_s":       round1(e.SpeechDuration.Seconds()),
		"music_under_speech":      e.MusicUnderSpeech,
		"speech_over_music_share": round3(e.SpeechOverMusicShare),
		"mean_speech_prob":        round3(e.MeanSpeechProb),
		"level_change_db":         round1(e.LevelChangeDB),
		"silence_before_speech_s": round1(e.SilenceBeforeSpeech.Seconds()),
		"music_bed_prob":          round3(e.MusicBedProb),
		"fast_path":               e.Fast,
		// Set when the voice came right after a playback and was let through
		// because its pitch differs from the playback's by this many semitones.
		"voice_change_st": round1(e.VoiceChangeST),
		// Set instead when that playback was a recording heard before in the
		// call and the voice did not go on as it had (share of differing
		// fingerprint bits; above 0.42 it is another voice).
		"replay_diverged_ber": round3(e.ReplayDivergedBER),
		// How close the speech came to audio heard earlier in the call
		// (share of differing fingerprint bits; about 0.4 when unrelated,
		// 1 when too little to compare): a replayed recording is vetoed at
		// 0.30 or below, so a value just above is worth a second look.
		"repeat_ber": round3(e.RepeatBER),
	}
}
