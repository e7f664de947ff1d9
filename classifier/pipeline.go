package classifier

import (
	"fmt"
	"math"
	"time"
)

// Result is the outcome of one Process call.
type Result struct {
	Frame             FrameResult
	Current           Label // smoothed label
	CurrentConfidence float64
	Closed            *Segment    // a segment that just ended, else nil (valid until the next call)
	Detections        []Detection // usually empty; the backing array is reused
}

// Pipeline classifies one call's audio: frames in, labels, segments and
// hold/human detections out. It is not safe for concurrent use; give each
// call its own.
type Pipeline struct {
	cfg   Config
	rate  int
	fe    *FeatureExtractor
	dtmf  *DTMFDetector
	tones *ToneDetector
	ctx   *ContextWindow
	model *ModelParams
	sm    *Smoother
	hold  *HoldDetector
	human *HumanDetector

	// input conditioning
	dec     decimator
	hp      biquad
	pend    [frameLen]float64
	nPend   int
	frameNo int64
	probs   [NumClasses]float64

	res    Result
	dets   [4]Detection
	closed Segment
}

// NewPipeline returns a pipeline for 8000 or 16000 Hz audio in 20 ms frames
// (160 or 320 samples; other lengths are buffered).
func NewPipeline(sampleRate int, cfg Config) (*Pipeline, error) {
	if sampleRate != 8000 && sampleRate != 16000 {
		return nil, fmt.Errorf("classifier: sample rate %d not supported (8000 or 16000)", sampleRate)
	}
	cfg = cfg.withDefaults()
	p := &Pipeline{cfg: cfg, rate: sampleRate, fe: NewFeatureExtractor(), dtmf: NewDTMFDetector(),
		tones: NewToneDetector(), ctx: NewContextWindow(), model: &defaultModel,
		sm:    NewSmoother(frames(cfg.SmoothMin)),
		hold:  NewHoldDetector(cfg.HoldMinMusic, cfg.HoldMinSilence, cfg.HoldGap),
		human: NewHumanDetector(cfg.HumanMinSpeech, cfg.HumanMaxMusicShare, cfg.HumanMinConfidence),
		hp:    newHighPass(hpCutoffHz, analysisRate)}
	if sampleRate == 16000 {
		p.dec = newDecimator()
	}
	return p, nil
}

// SetModel replaces the context model (for training and experiments).
func (p *Pipeline) SetModel(m *ModelParams) { p.model = m }

// Reset returns the pipeline to its initial state, keeping the configuration.
func (p *Pipeline) Reset() {
	p.fe.Reset()
	p.dtmf.Reset()
	p.tones.Reset()
	p.ctx.Reset()
	p.sm.Reset()
	p.hold.Reset()
	p.human.Reset()
	p.dec.reset()
	p.hp.reset()
	p.nPend, p.frameNo = 0, 0
	p.res = Result{}
}

// Segments returns the segments closed so far plus the open one.
func (p *Pipeline) Segments() []Segment { return p.sm.Segments() }

// OnHold reports whether the call is currently on hold.
func (p *Pipeline) OnHold() bool { return p.hold.OnHold() }

// Elapsed returns the audio time processed so far.
func (p *Pipeline) Elapsed() time.Duration { return time.Duration(p.frameNo) * FrameDuration }

// ContextVector returns the model input of the last frame (for training).
func (p *Pipeline) ContextVector() []float64 { return p.ctx.vec[:] }

// Process classifies the next samples, normally one 20 ms frame. Shorter or
// longer input is buffered; Result describes the last complete frame.
func (p *Pipeline) Process(frame []int16) Result {
	p.res.Closed = nil
	p.res.Detections = p.dets[:0]
	// The filter state lives in locals for the loop (it is the per-sample
	// hot path) and is written back at the end.
	hp := p.hp
	wide := p.rate == 16000
	for _, s := range frame {
		v := float64(s)
		if wide {
			var ok bool
			if v, ok = p.dec.push(v); !ok {
				continue
			}
		}
		p.pend[p.nPend] = hp.step(v)
		p.nPend++
		if p.nPend == frameLen {
			p.nPend = 0
			p.step()
		}
	}
	p.hp = hp
	return p.res
}

func (p *Pipeline) step() {
	at := time.Duration(p.frameNo) * FrameDuration
	p.frameNo++
	ft := p.fe.Process(p.pend[:])
	digit, dtmfOn, _ := p.dtmf.Process(p.fe, ft.EnergyDB)
	ts := p.tones.Process(p.fe, ft)
	ft.ToneRatio = p.tones.Purity
	vec, mod := p.ctx.Push(ft)
	ft.Mod4Hz = mod
	p.model.Predict(vec, &p.probs)
	ft.PSilence, ft.PMusic, ft.PSpeech = p.probs[ClassSilence], p.probs[ClassMusic], p.probs[ClassSpeech]
	ft.PNoise, ft.PSpeechOverMusic = p.probs[ClassNoise], p.probs[ClassSpeechOverMusic]

	fr := FrameResult{Features: ft}
	switch {
	case dtmfOn:
		fr.Label, fr.Confidence, fr.Digit = DTMF, 0.95, digit
	case ts.Label != "":
		fr.Label, fr.Confidence, fr.ToneKind = ts.Label, 0.9, ts.Kind
	case ft.EnergyDB < p.cfg.SilenceDB:
		fr.Label, fr.Confidence = Silence, 0.99
	default:
		best := 0
		for k := range p.probs {
			if p.probs[k] > p.probs[best] {
				best = k
			}
		}
		switch best {
		case ClassSilence:
			fr.Label, fr.Confidence = Silence, p.probs[best]
		case ClassMusic:
			fr.Label, fr.Confidence = Music, p.probs[best]
		case ClassSpeech:
			fr.Label, fr.Confidence = Speech, p.probs[ClassSpeech]+p.probs[ClassSpeechOverMusic]
		case ClassSpeechOverMusic:
			fr.Label, fr.Confidence, fr.MusicUnder = Speech, p.probs[ClassSpeech]+p.probs[ClassSpeechOverMusic], true
		default:
			fr.Label, fr.Confidence = Unknown, p.probs[best]
		}
	}
	p.res.Frame = fr

	var closed *Segment
	if ts.Resolved {
		closed = p.sm.Force(ts.Label, 0.9, ts.Since, at, ts.Kind)
	} else {
		closed = p.sm.Push(fr.Label, fr.Confidence, at, fr.ToneKind, fr.Digit)
	}
	if closed != nil {
		p.closed = *closed
		p.res.Closed = &p.closed
	}
	cur, conf := p.sm.Current()
	p.res.Current, p.res.CurrentConfidence = cur, conf

	if d, ok := p.hold.Process(cur, fr.MusicUnder, ft.EnergyDB, at); ok {
		p.addDetection(d)
		p.human.Arm(d.Onset, d.AudioType, p.hold.holdLevel)
	}
	hd, ok := p.human.Process(HumanFrame{At: at, Raw: fr.Label, Smoothed: cur, MusicUnder: fr.MusicUnder,
		PSpeech: ft.PSpeech + ft.PSpeechOverMusic, PMusicBed: ft.PMusic + ft.PSpeechOverMusic, EnergyDB: ft.EnergyDB})
	if ok {
		p.addDetection(hd)
		switch hd.Kind {
		case HumanDetected:
			p.hold.Leave()
		case HoldResumed:
			p.hold.onHold = true
		}
	}
}

func (p *Pipeline) addDetection(d Detection) {
	if len(p.res.Detections) < cap(p.res.Detections) {
		p.res.Detections = append(p.res.Detections, d)
	}
}

// hpCutoffHz removes DC, mains hum (50/60 Hz) and rumble below the telephone band.
const hpCutoffHz = 150.0

// biquad is a second-order IIR section (direct form I).
type biquad struct {
	b0, b1, b2, a1, a2 float64
	x1, x2, y1, y2     float64
}

func newHighPass(fc, fs float64) biquad {
	w := 2 * math.Pi * fc / fs
	alpha := math.Sin(w) / math.Sqrt2 // Q = 1/sqrt(2)
	cw := math.Cos(w)
	a0 := 1 + alpha
	return biquad{b0: (1 + cw) / 2 / a0, b1: -(1 + cw) / a0, b2: (1 + cw) / 2 / a0,
		a1: -2 * cw / a0, a2: (1 - alpha) / a0}
}

func (b *biquad) step(x float64) float64 {
	y := b.b0*x + b.b1*b.x1 + b.b2*b.x2 - b.a1*b.y1 - b.a2*b.y2
	b.x2, b.x1, b.y2, b.y1 = b.x1, x, b.y1, y
	return y
}

func (b *biquad) reset() { b.x1, b.x2, b.y1, b.y2 = 0, 0, 0, 0 }

// decimator halves the rate with a windowed-sinc low-pass at 3.7 kHz.
const decTaps = 31

type decimator struct {
	h     [decTaps/2 + 1]float64 // first half of the symmetric kernel, centre last
	hist  [2 * decTaps]float64   // each sample stored twice, so the window is contiguous
	pos   int
	phase int
}

func newDecimator() decimator {
	var d decimator
	var full [decTaps]float64
	fc := 3700.0 / 16000
	var sum float64
	for i := range full {
		x := float64(i - decTaps/2)
		s := 2 * fc
		if x != 0 {
			s = math.Sin(2*math.Pi*fc*x) / (math.Pi * x)
		}
		w := 0.42 - 0.5*math.Cos(2*math.Pi*float64(i)/(decTaps-1)) + 0.08*math.Cos(4*math.Pi*float64(i)/(decTaps-1))
		full[i] = s * w
		sum += full[i]
	}
	for i := range d.h {
		d.h[i] = full[i] / sum
	}
	return d
}

func (d *decimator) reset() { d.hist, d.pos, d.phase = [2 * decTaps]float64{}, 0, 0 }

// push adds one 16 kHz sample; every second call yields an 8 kHz sample.
// The kernel is symmetric, so mirrored taps share one multiplication.
func (d *decimator) push(x float64) (float64, bool) {
	d.hist[d.pos] = x
	d.hist[d.pos+decTaps] = x
	d.pos++
	if d.pos == decTaps {
		d.pos = 0
	}
	d.phase ^= 1
	if d.phase == 1 {
		return 0, false
	}
	w := (*[decTaps]float64)(d.hist[d.pos : d.pos+decTaps]) // oldest first
	h := &d.h
	acc := h[decTaps/2] * w[decTaps/2]
	for i := 0; i < decTaps/2; i++ {
		acc += h[i] * (w[i] + w[decTaps-1-i])
	}
	return acc, true
}
