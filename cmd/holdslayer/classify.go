package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"

	"github.com/holdslayer/holdslayer/app/audio"
	"github.com/holdslayer/holdslayer/classifier"
)

// classifyRate is the rate files are converted to before classification.
const classifyRate = 8000

// classifySegment and classifyEvent are the JSON shapes of `classify --json`.
type classifySegment struct {
	Start      float64 `json:"start"`
	End        float64 `json:"end"`
	Label      string  `json:"label"`
	Confidence float64 `json:"confidence"`
	Kind       string  `json:"kind,omitempty"`
	Digits     string  `json:"digits,omitempty"`
}

type classifyEvent struct {
	Type       string            `json:"type"`
	At         float64           `json:"at"`
	Confidence float64           `json:"confidence"`
	Onset      float64           `json:"onset"`
	AudioType  string            `json:"audio_type,omitempty"`
	Evidence   *classifyEvidence `json:"evidence,omitempty"`
}

// classifyEvidence is what the acoustic layer saw before human_detected, in
// seconds and plain names (the JSON a user reads, not the Go struct).
type classifyEvidence struct {
	HoldDuration          float64 `json:"hold_duration"`
	HoldAudio             string  `json:"hold_audio"`
	SpeechDuration        float64 `json:"speech_duration"`
	SilenceBeforeSpeech   float64 `json:"silence_before_speech"`
	MusicUnderSpeech      bool    `json:"music_under_speech"`
	SpeechOverMusicShare  float64 `json:"speech_over_music_share"`
	MeanSpeechProb        float64 `json:"mean_speech_prob"`
	MusicBedProb          float64 `json:"music_bed_prob"`
	RecentSpeechOverMusic float64 `json:"recent_speech_over_music"`
	LevelChangeDB         float64 `json:"level_change_db"`
	FastPath              bool    `json:"fast_path"`
	VoiceChangeST         float64 `json:"voice_change_st"`
	ReplayDivergedBER     float64 `json:"replay_diverged_ber"`
	RepeatBER             float64 `json:"repeat_ber"`
}

func newClassifyEvidence(e classifier.HumanEvidence) *classifyEvidence {
	return &classifyEvidence{
		HoldDuration: round3(e.HoldDuration.Seconds()), HoldAudio: e.HoldAudio,
		SpeechDuration: round3(e.SpeechDuration.Seconds()), SilenceBeforeSpeech: round3(e.SilenceBeforeSpeech.Seconds()),
		MusicUnderSpeech: e.MusicUnderSpeech, SpeechOverMusicShare: round3(e.SpeechOverMusicShare),
		MeanSpeechProb: round3(e.MeanSpeechProb), MusicBedProb: round3(e.MusicBedProb),
		RecentSpeechOverMusic: round3(e.RecentSpeechOverMusic), LevelChangeDB: round3(e.LevelChangeDB),
		FastPath: e.Fast, VoiceChangeST: round3(e.VoiceChangeST), ReplayDivergedBER: round3(e.ReplayDivergedBER),
		RepeatBER: round3(e.RepeatBER),
	}
}

type classifyReport struct {
	File     string            `json:"file"`
	Duration float64           `json:"duration"`
	Segments []classifySegment `json:"segments"`
	Events   []classifyEvent   `json:"events"`
}

// runClassify implements `holdslayer classify [--json] FILE...`: it prints
// each file's segment timeline and its hold and human events, so users can
// check the classifier on their own recordings. Files that cannot be read
// are reported on stderr and make the exit status 1; the others are still
// processed.
func runClassify(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("classify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print one JSON object per file per line")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: holdslayer classify [--json] FILE...")
		fmt.Fprintln(stderr, "Classifies WAV files (any rate, mono or stereo, 8/16-bit PCM, mu-law, A-law).")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	status := 0
	for _, path := range fs.Args() {
		rep, err := classifyFile(path)
		if err != nil {
			fmt.Fprintf(stderr, "holdslayer classify: %s: %v\n", path, err)
			status = 1
			continue
		}
		if *asJSON {
			b, err := json.Marshal(rep)
			if err != nil {
				fmt.Fprintf(stderr, "holdslayer classify: %s: encode json: %v\n", path, err)
				status = 1
				continue
			}
			fmt.Fprintf(stdout, "%s\n", b)
			continue
		}
		printTimeline(stdout, rep)
	}
	return status
}

func classifyFile(path string) (classifyReport, error) {
	pcm, err := audio.ReadFile(path)
	if err != nil {
		return classifyReport{}, fmt.Errorf("%w", unwrapPath(err))
	}
	if len(pcm.Samples) == 0 {
		return classifyReport{}, fmt.Errorf("no audio samples")
	}
	s := pcm.Samples
	if pcm.Rate != classifyRate {
		s = audio.Resample(s, pcm.Rate, classifyRate)
	}
	p, err := classifier.NewPipeline(classifyRate, classifier.Config{})
	if err != nil {
		return classifyReport{}, fmt.Errorf("classifier: %w", err)
	}
	rep := classifyReport{File: path, Duration: round3(pcm.Duration()), Segments: []classifySegment{}, Events: []classifyEvent{}}
	const n = classifyRate / 50
	frame := make([]int16, n)
	for i := 0; i < len(s); i += n {
		m := copy(frame, s[i:min(i+n, len(s))])
		clear(frame[m:]) // pad the last partial frame with silence
		res := p.Process(frame)
		for _, d := range res.Detections {
			ev := classifyEvent{Type: string(d.Kind), At: round3(d.At.Seconds()), Onset: round3(d.Onset.Seconds()),
				Confidence: round3(d.Confidence)}
			if d.Kind == classifier.HumanDetected {
				ev.Evidence = newClassifyEvidence(d.Evidence)
			} else {
				ev.AudioType = d.AudioType
			}
			rep.Events = append(rep.Events, ev)
		}
	}
	for _, seg := range p.Segments() {
		end := math.Min(seg.End.Seconds(), rep.Duration)
		if seg.Start.Seconds() >= end {
			continue
		}
		rep.Segments = append(rep.Segments, classifySegment{Start: round3(seg.Start.Seconds()), End: round3(end),
			Label: string(seg.Label), Confidence: round3(seg.Confidence), Kind: seg.ToneKind, Digits: seg.Digits})
	}
	return rep, nil
}

// unwrapPath drops the "read PATH:" prefix of audio.ReadFile, since the
// caller names the file itself.
func unwrapPath(err error) error {
	type unwrapper interface{ Unwrap() error }
	if u, ok := err.(unwrapper); ok && u.Unwrap() != nil {
		return u.Unwrap()
	}
	return err
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

func printTimeline(w io.Writer, r classifyReport) {
	fmt.Fprintf(w, "%s (%.2f s)\n", r.File, r.Duration)
	for _, s := range r.Segments {
		extra := ""
		if s.Kind != "" {
			extra += " " + s.Kind
		}
		if s.Digits != "" {
			extra += " digits=" + s.Digits
		}
		fmt.Fprintf(w, "  %8.2f - %8.2f  %-8s %.2f%s\n", s.Start, s.End, s.Label, s.Confidence, extra)
	}
	for _, e := range r.Events {
		fmt.Fprintf(w, "  event %-15s at %8.2f  onset %8.2f  confidence %.2f", e.Type, e.At, e.Onset, e.Confidence)
		if e.AudioType != "" {
			fmt.Fprintf(w, "  audio=%s", e.AudioType)
		}
		if e.Evidence != nil {
			fmt.Fprintf(w, "  hold=%.1fs speech=%.1fs music_under=%v",
				e.Evidence.HoldDuration, e.Evidence.SpeechDuration, e.Evidence.MusicUnderSpeech)
		}
		fmt.Fprintln(w)
	}
}
