package speech

import (
	"fmt"
	"math"
	"time"

	"github.com/holdslayer/holdslayer/classifier"
)

// Default VAD settings, chosen for telephone audio (8 or 16 kHz, 20 ms frames).
const (
	// DefaultThresholdDB is how far above the noise floor a frame must be to count as voiced.
	DefaultThresholdDB = 9.0
	// DefaultMinLevelDB is the absolute level (dBFS) below which nothing is speech.
	DefaultMinLevelDB = -50.0
	// DefaultOnsetFrames is how many voiced frames out of the last DefaultOnsetWindow start speech.
	DefaultOnsetFrames = 3
	// DefaultOnsetWindow is the window, in frames, the onset rule looks at.
	DefaultOnsetWindow = 4
	// DefaultHangover is how long speech is held after the last voiced frame, so the
	// gaps between words do not end an utterance.
	DefaultHangover = 400 * time.Millisecond
	// DefaultFloorWindow is the span over which the noise floor follows the quietest frame;
	// a steady sound (music) longer than this rises into the floor and stops being speech.
	DefaultFloorWindow = 1500 * time.Millisecond
	// DefaultMaxFlatness is the spectral flatness above which a frame is noise-like (hiss).
	DefaultMaxFlatness = 0.45
	// DefaultMinSpeechBand is the least share of energy in the speech band (250-3500 Hz).
	DefaultMinSpeechBand = 0.55
	// DefaultMaxZCR is the zero-crossing rate (crossings per sample) above which a frame is
	// treated as broadband noise rather than voice.
	DefaultMaxZCR = 0.45
)

// FrameDuration is the length of one frame the VAD and the Segmenter take.
const FrameDuration = 20 * time.Millisecond

// VADConfig tunes the detector; zero fields take the Default* values.
type VADConfig struct {
	ThresholdDB   float64
	MinLevelDB    float64
	OnsetFrames   int
	OnsetWindow   int
	Hangover      time.Duration
	FloorWindow   time.Duration
	MaxFlatness   float64
	MinSpeechBand float64
	MaxZCR        float64
}

func (c VADConfig) withDefaults() VADConfig {
	if c.ThresholdDB == 0 {
		c.ThresholdDB = DefaultThresholdDB
	}
	if c.MinLevelDB == 0 {
		c.MinLevelDB = DefaultMinLevelDB
	}
	if c.OnsetFrames <= 0 {
		c.OnsetFrames = DefaultOnsetFrames
	}
	if c.OnsetWindow < c.OnsetFrames {
		c.OnsetWindow = max(DefaultOnsetWindow, c.OnsetFrames)
	}
	if c.Hangover <= 0 {
		c.Hangover = DefaultHangover
	}
	if c.FloorWindow <= 0 {
		c.FloorWindow = DefaultFloorWindow
	}
	if c.MaxFlatness == 0 {
		c.MaxFlatness = DefaultMaxFlatness
	}
	if c.MinSpeechBand == 0 {
		c.MinSpeechBand = DefaultMinSpeechBand
	}
	if c.MaxZCR == 0 {
		c.MaxZCR = DefaultMaxZCR
	}
	return c
}

// VADEventKind says whether speech started or stopped on a frame.
type VADEventKind int

// VAD event kinds; VADNone is the common case of a frame that changes nothing.
const (
	VADNone VADEventKind = iota
	VADOnset
	VADOffset
)

func (k VADEventKind) String() string {
	switch k {
	case VADOnset:
		return "onset"
	case VADOffset:
		return "offset"
	}
	return "none"
}

// VADEvent reports a speech boundary. At is the stream offset of the boundary (the start of
// the first voiced frame for an onset, the end of the last voiced frame for an offset),
// counted from the first frame pushed; the engine adds it to the stream's start time.
type VADEvent struct {
	Kind VADEventKind
	At   time.Duration
	// LevelDB and FloorDB describe the frame that caused the event, for the timeline.
	LevelDB float64
	FloorDB float64
}

// Features are the per-frame measurements, exposed for logs and tuning.
type Features struct {
	LevelDB    float64 // frame energy, dBFS
	FloorDB    float64 // adaptive noise floor, dBFS
	ZCR        float64 // zero crossings per sample
	Flatness   float64 // spectral flatness in the speech band, 0 (tonal) .. 1 (white)
	SpeechBand float64 // share of energy between 250 and 3500 Hz
	Voiced     bool    // this frame alone looks like voice
}

// VAD is a frame-by-frame voice activity detector: energy against an adaptive noise floor,
// gated by spectral flatness, speech-band energy share and zero-crossing rate, with an onset
// rule and a hangover. It is not safe for concurrent use; one call's goroutine owns it.
type VAD struct {
	cfg      VADConfig
	rate     int
	n        int // samples per frame
	frame    int64
	speaking bool

	spec   *classifier.PowerSpectrum
	buf    []float64 // windowed, zero-padded frame (FFT size)
	power  []float64 // |X_k|^2, bins 0..size/2
	window []float64 // Hann window over the frame's samples

	// noise floor: ring of recent frame levels, minimum tracked.
	levels   []float64
	levelPos int
	levelLen int
	floor    float64

	recent     []bool // last OnsetWindow voiced flags
	recentPos  int
	lastVoiced int64 // frame index of the last voiced frame
	hangFrames int64

	last Features
}

// NewVAD returns a detector for 20 ms frames at rate (8000 or 16000 Hz).
func NewVAD(rate int, cfg VADConfig) (*VAD, error) {
	if rate != 8000 && rate != 16000 {
		return nil, fmt.Errorf("new vad: rate %d: %w", rate, ErrBadAudio)
	}
	cfg = cfg.withDefaults()
	n := rate / 50
	fftSize := 256
	if rate == 16000 {
		fftSize = 512
	}
	floorFrames := int(cfg.FloorWindow / FrameDuration)
	v := &VAD{
		cfg:        cfg,
		rate:       rate,
		n:          n,
		spec:       classifier.NewPowerSpectrum(fftSize),
		buf:        make([]float64, fftSize),
		power:      make([]float64, fftSize/2+1),
		window:     make([]float64, n),
		levels:     make([]float64, max(floorFrames, 1)),
		recent:     make([]bool, cfg.OnsetWindow),
		hangFrames: int64(cfg.Hangover / FrameDuration),
		floor:      math.Inf(1),
		lastVoiced: -1,
	}
	for i := range v.window {
		v.window[i] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(n-1))
	}
	return v, nil
}

// FrameSamples is the number of samples Push expects per frame.
func (v *VAD) FrameSamples() int { return v.n }

// Speaking reports whether the detector is inside speech (including the hangover).
func (v *VAD) Speaking() bool { return v.speaking }

// Last returns the features of the most recent frame.
func (v *VAD) Last() Features { return v.last }

// Reset forgets all state, e.g. when the listen stream is re-created.
func (v *VAD) Reset() {
	v.frame, v.speaking, v.levelPos, v.levelLen, v.recentPos = 0, false, 0, 0, 0
	v.floor, v.lastVoiced = math.Inf(1), -1
	clear(v.recent)
}

// Push analyses one 20 ms frame and reports a speech onset or offset if this frame caused
// one. A frame of the wrong length is zero-padded or truncated. It does not allocate.
func (v *VAD) Push(frame []int16) VADEvent {
	idx := v.frame
	v.frame++
	f := v.analyse(frame)
	v.last = f

	v.recent[v.recentPos] = f.Voiced
	v.recentPos = (v.recentPos + 1) % len(v.recent)
	if f.Voiced {
		v.lastVoiced = idx
	}
	ev := VADEvent{LevelDB: f.LevelDB, FloorDB: f.FloorDB}
	if !v.speaking {
		count, first := 0, int64(-1)
		for i := range v.recent {
			// walk oldest to newest
			p := (v.recentPos + i) % len(v.recent)
			if v.recent[p] {
				count++
				if first < 0 {
					first = idx - int64(len(v.recent)-1-i)
				}
			}
		}
		if count >= v.cfg.OnsetFrames && first >= 0 {
			v.speaking = true
			ev.Kind = VADOnset
			ev.At = time.Duration(first) * FrameDuration
		}
		return ev
	}
	if idx-v.lastVoiced > v.hangFrames {
		v.speaking = false
		ev.Kind = VADOffset
		ev.At = time.Duration(v.lastVoiced+1) * FrameDuration
	}
	return ev
}

func (v *VAD) analyse(frame []int16) Features {
	var f Features
	n := v.n
	var sum float64
	crossings := 0
	prev := int16(0)
	buf := v.buf
	for i := 0; i < n; i++ {
		var s int16
		if i < len(frame) {
			s = frame[i]
		}
		x := float64(s) / 32768
		sum += x * x
		if i > 0 && (s >= 0) != (prev >= 0) {
			crossings++
		}
		prev = s
		buf[i] = x * v.window[i]
	}
	for i := n; i < len(buf); i++ {
		buf[i] = 0
	}
	f.LevelDB = 10 * math.Log10(sum/float64(n)+1e-10)
	f.ZCR = float64(crossings) / float64(n-1)
	v.spec.Power(buf, v.power)
	f.Flatness, f.SpeechBand = v.spectralCues()

	// Noise floor: minimum of the recent levels, falling at once and rising gently.
	v.levels[v.levelPos] = f.LevelDB
	v.levelPos = (v.levelPos + 1) % len(v.levels)
	if v.levelLen < len(v.levels) {
		v.levelLen++
	}
	minLevel := math.Inf(1)
	for i := 0; i < v.levelLen; i++ {
		minLevel = min(minLevel, v.levels[i])
	}
	switch {
	case math.IsInf(v.floor, 1) || minLevel < v.floor:
		v.floor = minLevel
	default:
		v.floor += (minLevel - v.floor) * 0.1
	}
	f.FloorDB = v.floor

	f.Voiced = f.LevelDB > v.floor+v.cfg.ThresholdDB &&
		f.LevelDB > v.cfg.MinLevelDB &&
		f.Flatness < v.cfg.MaxFlatness &&
		f.SpeechBand > v.cfg.MinSpeechBand &&
		f.ZCR < v.cfg.MaxZCR
	return f
}

// spectralCues returns the spectral flatness (geometric over arithmetic mean of the power
// spectrum) between 250 and 3500 Hz and the share of the total power that falls there.
func (v *VAD) spectralCues() (flatness, band float64) {
	size := len(v.buf)
	binHz := float64(v.rate) / float64(size)
	lo := int(250/binHz + 0.5)
	hi := int(3500 / binHz)
	var total, inBand, logSum float64
	for k := 1; k <= size/2; k++ {
		p := v.power[k] + 1e-12
		total += p
		if k >= lo && k <= hi {
			inBand += p
			logSum += math.Log(p)
		}
	}
	cnt := float64(hi - lo + 1)
	mean := inBand / cnt
	flatness = math.Exp(logSum/cnt) / mean
	return flatness, inBand / total
}
