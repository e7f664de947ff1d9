package classifier

import (
	"math"
	"time"
)

// Call-progress tone families, grouped by what a 40 ms spectrum can tell
// apart. The exact national plan is then decided by cadence (and, for the
// 400-480 Hz family, by the centre of its energy):
//
//	US ringback   440+480 Hz  2 s on, 4 s off
//	UK ringback   400+450 Hz  0.4 on, 0.2 off, 0.4 on, 2 s off
//	EU ringback   425 Hz      1 s on, 3-4 s off
//	UK busy       400 Hz      0.375 on, 0.375 off
//	EU busy       425 Hz      0.5 on, 0.5 off; EU congestion 0.25/0.25
//	US busy       480+620 Hz  0.5 on, 0.5 off; US reorder 0.25/0.25
//	SIT (ITU)     950, 1400, 1800 Hz, 330 ms each, rising
//	SIT (N. Am.)  913.8/985.2, 1370.6/1428.5, 1776.7 Hz, 274-380 ms each
type toneClass int

const (
	toneNone   toneClass = iota
	toneLow              // 400-480 Hz family: ringback, UK/EU busy and congestion
	toneUSBusy           // 480+620 Hz
	toneSIT              // one of the SIT frequencies
)

// Tone detection thresholds.
const (
	DefaultToneMinPurity = 0.60  // share of frame energy in the tone bands
	DefaultToneMinDB     = -45.0 // dBFS; quieter frames are not tones
	toneMaxFlux          = 0.25  // tones are steady
	toneMinFrames        = 3     // 60 ms before a tone frame counts as "on"
	toneGraceFrames      = 3     // dropped frames bridged inside a tone
	toneOffDropDB        = 8.0   // cadence gaps must be this much quieter than the tone ...
	toneDirtyFrames      = 4     // ... or at most this many frames may be loud
	// A gap is the line's quiet: sound this far above its quietest frame is
	// no part of the cadence, however far under the tone it stays (a prompt
	// 18 dB under the ringback before it, over noise 10 dB under the
	// prompt). In corpus-v17's calls 10 dB and 8 dB cleared as much as
	// each other, 12 dB less.
	toneGapRiseDB    = 10.0
	toneUSCentroidHz = 447.0 // 440+480 sits above, 400+450 and 425 below
	// The low family's tones are 400, 425, 450, 400+450 and 440+480 Hz: the
	// centre of their energy measured 402-462 Hz in corpus-v17's clips,
	// GSM and noise included. A voice's low harmonics or a melody's note
	// elsewhere in 330-510 Hz is no tone.
	toneLowMinHz = 385.0
	toneLowMaxHz = 475.0
	toneRepeatHz = 8.0 // a cadence's bursts are one tone: their centres this close ...
	toneRepeatDB = 6.0 // ... and their levels
	sitFreqTol   = 0.03
)

// Cadence windows (in seconds) used to tell the plans apart.
const (
	ringMinOn      = 0.7  // a ring lasts 0.7-2.5 s ...
	ringMaxOn      = 2.5  //
	ringMinOff     = 0.8  // ... and is followed by a clean gap this long
	ukRingOnLo     = 0.32 // UK double ring: 0.4 s bursts ...
	ukRingOnHi     = 0.5  //
	ukRingGapLo    = 0.12 // ... separated by 0.2 s
	ukRingGapHi    = 0.28 //
	busyOnLo       = 0.32 // busy: 0.375-0.5 s on and off
	busyOnHi       = 0.65 //
	reorderOnLo    = 0.15 // reorder/congestion: 0.2-0.25 s on and off
	reorderOnHi    = 0.31 //
	sitToneLo      = 0.2  // each SIT segment lasts 274-380 ms (ITU 330)
	sitToneHi      = 0.45 //
	ringMaxOff     = 4.6  // tone label is kept through cadence gaps up to these
	busyMaxOff     = 0.9
	reorderMaxOff  = 0.6
	sitMaxGap      = 0.15 // between SIT segments
	toneResolveCap = 2.5  // give up on an unknown cadence after this long
)

var sitFreqs = [...]struct {
	hz    float64
	order int
}{{913.8, 0}, {950, 0}, {985.2, 0}, {1370.6, 1}, {1400, 1}, {1428.5, 1}, {1776.7, 2}, {1800, 2}}

// ToneState is what the ToneDetector currently believes.
type ToneState struct {
	Label Label         // Ringing or Busy; "" when no tone is active
	Kind  string        // ringback-us, ringback-uk, ringback-eu, busy, reorder, sit
	Since time.Duration // start of the first tone of the cadence
	// Resolved is true on the frame the cadence was first recognised.
	Resolved bool
}

// ToneDetector recognises call-progress tones and their cadences from the
// spectra of a FeatureExtractor, one frame at a time.
type ToneDetector struct {
	MinPurity float64
	MinDB     float64

	now       time.Duration
	class     toneClass // class of the tone currently on
	onFrames  int       // length of the current on run
	offFrames int       // length of the current off run
	candidate toneClass // class seen in the last frames, not yet "on"
	candRun   int
	// Sums of the centre (Hz) and level (dB) over the candidate run and
	// over the current burst, and each burst's means once it ended, for
	// burstIs.
	candCen, candDB   float64
	burstCen, burstDB float64
	burstN            int
	lastCen, lastDB   float64
	stateCen, stateDB float64 // the recognised cadence's tone
	// recent on/off durations (seconds) of the current family
	ons, offs   [4]float64
	nOn         int
	firstOn     time.Duration
	familyClass toneClass
	dirty       int     // consecutive loud non-tone frames in a gap
	gapFloor    float64 // quietest frame of the current gap, dBFS
	grace       int
	sitOrder    int
	sitSteps    int
	sitStart    time.Duration
	state       ToneState
	maxOff      float64 // seconds the state survives without tone
	splice      int     // frames left whose analysis spans a lost frame (see LostFrame)
	// Purity is the tone share of the last frame, exposed as a feature.
	Purity float64
}

// NewToneDetector returns a detector with the default thresholds.
func NewToneDetector() *ToneDetector {
	return &ToneDetector{MinPurity: DefaultToneMinPurity, MinDB: DefaultToneMinDB, sitOrder: -1}
}

// Reset forgets all cadence history.
func (t *ToneDetector) Reset() {
	*t = ToneDetector{MinPurity: t.MinPurity, MinDB: t.MinDB, sitOrder: -1}
}

// State returns the current belief without advancing.
func (t *ToneDetector) State() ToneState { return t.state }

// toneSpliceFrames is how many frames after a lost one are analysed across
// the splice: the 40 ms window of the first spans it, and the input filter's
// transient from the jump in the waveform is in the second's. A tone's phase
// jumps there, so neither looks pure.
const toneSpliceFrames = 2

// LostFrame lets the time of a frame that was never heard pass (a lost
// packet the Pipeline does not analyse). Inside a tone it is bridged, as a
// frame the detector could not hear, and so are the frames analysed across
// the splice; the tone need not start over after them. Until the sixteenth
// session lost frames were simply not seen here: with 5 % of the frames
// lost (the corpus's lost condition), the two smeared frames and the three
// a tone needs to count as on again broke a ring into pieces too short for
// its cadence, and three held-out ringback and congestion clips were read
// as silence or music. In a gap the frame's time is not counted: with it, a
// short change between two notes of a hold music grew into a UK double
// ring's gap, and the tone heard mid-hold reset the hold (v16 train calls,
// train-074-lost).
func (t *ToneDetector) LostFrame() {
	t.now += FrameDuration
	if t.class != toneNone {
		t.splice = toneSpliceFrames
		t.onFrames++
		t.grace++
	}
}

// On reports whether a tone frame is sounding now (after the 60 ms debounce).
func (t *ToneDetector) On() bool { return t.class != toneNone }

// frameClass classifies one spectrum. Its third result is the centre (Hz)
// of a low-family or US-busy frame's tone energy.
func (t *ToneDetector) frameClass(fe *FeatureExtractor, ft Features) (toneClass, int, float64) {
	t.Purity = 0
	if ft.EnergyDB < t.MinDB || ft.Flux > toneMaxFlux {
		return toneNone, 0, 0
	}
	total := fe.bandEnergy(100, 3900)
	if total <= 0 {
		return toneNone, 0, 0
	}
	e480, e620 := fe.bandEnergy(455, 505)/total, fe.bandEnergy(590, 650)/total
	low := fe.bandEnergy(330, 510) / total
	if e480 >= 0.15 && e620 >= 0.15 && e480+e620+fe.bandEnergy(510, 590)/total >= t.MinPurity {
		t.Purity = e480 + e620
		// The centre of the pair's energy: fixed for a tone, wandering
		// for a voice or an instrument.
		return toneUSBusy, 0, 480 + 140*e620/(e480+e620)
	}
	if low >= t.MinPurity {
		t.Purity = low
		var c, s float64
		for hz := 330.0; hz <= 510; hz += binHz {
			p := fe.Spectrum[int(hz/binHz+0.5)]
			c += p * hz
			s += p
		}
		if cen := c / s; in(cen, toneLowMinHz, toneLowMaxHz) {
			return toneLow, 0, cen
		}
		return toneNone, 0, 0
	}
	f, p := fe.peakFreq(880, 1850)
	if p/total >= t.MinPurity {
		for _, s := range sitFreqs {
			if math.Abs(f-s.hz) <= sitFreqTol*s.hz {
				t.Purity = p / total
				return toneSIT, s.order, 0
			}
		}
	}
	return toneNone, 0, 0
}

// Process advances one frame. It returns the state; State.Resolved marks the
// frame where a cadence was recognised, whose label applies from State.Since.
func (t *ToneDetector) Process(fe *FeatureExtractor, ft Features) ToneState {
	t.now += FrameDuration
	t.state.Resolved = false
	c, order, cen := t.frameClass(fe, ft)
	spliced := t.splice > 0 && t.class != toneNone && c == toneNone
	if t.splice > 0 {
		t.splice--
	}
	switch {
	case spliced:
	case c != toneNone && c == t.candidate && t.candRun > 0:
		t.candRun++
		t.candCen, t.candDB = t.candCen+cen, t.candDB+ft.EnergyDB
	default:
		t.candidate, t.candRun = c, 1
		t.candCen, t.candDB = cen, ft.EnergyDB
	}
	if c == toneNone && !spliced {
		t.candRun = 0
	}
	on := c != toneNone && t.candRun >= toneMinFrames
	prevDirty := t.dirty
	// Bridge one or two lost or noisy frames inside a tone, and those
	// analysed across a lost frame's splice.
	if !on && t.class != toneNone && (t.grace < toneGraceFrames || spliced) {
		t.grace++
		t.onFrames++
		t.resolve()
		return t.state
	}
	if on {
		t.grace = 0
	}
	sec := FrameDuration.Seconds()
	switch {
	case on && c == t.class:
		t.onFrames++
		t.burstCen, t.burstDB, t.burstN = t.burstCen+cen, t.burstDB+ft.EnergyDB, t.burstN+1
	case on:
		// A tone (re)starts: close the off run.
		if t.class == toneNone && t.offFrames > 0 && c == t.lastClass() {
			// The off run includes the debounce frames of this tone but not
			// the grace frames bridged at the end of the last one.
			t.pushOff(float64(t.offFrames-(toneMinFrames-1)+t.grace) * sec)
		} else if c != t.lastClass() {
			t.nOn = 0
			t.firstOn = t.now - time.Duration(toneMinFrames-1)*FrameDuration
		}
		if t.nOn == 0 {
			t.firstOn = t.now - time.Duration(toneMinFrames-1)*FrameDuration
		}
		t.class, t.onFrames, t.offFrames = c, toneMinFrames, 0
		t.familyClass = c
		t.burstCen, t.burstDB, t.burstN = t.candCen, t.candDB, t.candRun
	case t.class != toneNone:
		// The tone stopped: close the on run.
		t.pushOn(float64(t.onFrames-t.grace) * sec)
		t.lastCen, t.lastDB = t.burstMean()
		t.class, t.offFrames = toneNone, 1
		t.gapFloor = ft.EnergyDB
	default:
		t.offFrames++
		t.gapFloor = math.Min(t.gapFloor, ft.EnergyDB)
	}
	t.dirty = 0
	if t.class == toneNone && t.familyClass != toneNone && (c == toneNone || math.Abs(cen-t.lastCen) > toneRepeatHz) &&
		(ft.EnergyDB > t.lastDB-toneOffDropDB || ft.EnergyDB > t.gapFloor+toneGapRiseDB) {
		// Loud non-tone audio in a gap, or sound well above the gap's own
		// floor: this was no cadence, or it has ended (music, a prompt, or
		// the call was answered). Forget the family and any state.
		if t.dirty = prevDirty + 1; t.dirty >= toneDirtyFrames {
			t.familyClass, t.nOn, t.dirty = toneNone, 0, 0
			t.state = ToneState{}
		}
	}
	if on && c == toneSIT {
		t.sit(order)
	}
	t.resolve()
	// Expire the state after a gap longer than the cadence allows.
	if t.state.Label != "" && t.class == toneNone && float64(t.offFrames)*sec > t.maxOff {
		t.state = ToneState{}
		t.nOn = 0
	}
	return t.state
}

func (t *ToneDetector) lastClass() toneClass { return t.familyClass }

func (t *ToneDetector) pushOn(d float64) {
	copy(t.ons[1:], t.ons[:3])
	t.ons[0] = d
	t.nOn++
}

func (t *ToneDetector) pushOff(d float64) {
	copy(t.offs[1:], t.offs[:3])
	t.offs[0] = d
}

func (t *ToneDetector) sit(order int) {
	if order == t.sitOrder {
		return
	}
	if order == t.sitOrder+1 && t.now-t.sitStart < 1200*time.Millisecond {
		t.sitSteps++
	} else {
		t.sitSteps, t.sitStart = 0, t.now-time.Duration(toneMinFrames-1)*FrameDuration
	}
	t.sitOrder = order
	if order == 0 {
		t.sitStart = t.now - time.Duration(toneMinFrames-1)*FrameDuration
	}
}

func (t *ToneDetector) set(l Label, kind string, maxOff float64) {
	if t.state.Label != l || t.state.Kind != kind {
		since := t.firstOn
		if t.state.Label == l && t.state.Since > 0 {
			since = t.state.Since
		}
		t.state = ToneState{Label: l, Kind: kind, Since: since, Resolved: true}
		t.stateCen, t.stateDB = t.lastCen, t.lastDB
		if t.class != toneNone && t.burstN > 0 {
			t.stateCen, t.stateDB = t.burstMean()
		}
	}
	t.maxOff = maxOff
}

func in(v, lo, hi float64) bool { return v >= lo && v <= hi }

// burstIs reports whether the burst sounding now has centre cen and level
// db, within toneRepeatHz and toneRepeatDB: whether it repeats an earlier
// one. A cadence is one tone switched on and off; a voice or a melody whose
// notes happen to fall in the tone bands, with pauses that happen to fit a
// cadence, changes pitch or loudness from one burst to the next. In
// corpus-v17's clips the bursts of a real cadence differed by at most
// 1.4 Hz and 2.5 dB (GSM and noise included); those of speech by more than
// 8 Hz in 302 pairs of 327, those of music in 179 of 221.
func (t *ToneDetector) burstIs(cen, db float64) bool {
	if t.burstN == 0 {
		return false
	}
	c, l := t.burstMean()
	return math.Abs(c-cen) <= toneRepeatHz && math.Abs(l-db) <= toneRepeatDB
}

// burstMean returns the mean centre (Hz) and level (dB) of the burst
// sounding now, or of the one that just ended; burstN must not be 0.
func (t *ToneDetector) burstMean() (cen, db float64) {
	n := float64(t.burstN)
	return t.burstCen / n, t.burstDB / n
}

// resolve matches the recent on/off durations against the plans.
func (t *ToneDetector) resolve() {
	sec := FrameDuration.Seconds()
	curOn := float64(t.onFrames) * sec
	if t.class == toneNone {
		curOn = 0
	}
	if t.state.Label != "" && t.state.Kind != "sit" && t.class != toneNone && !t.burstIs(t.stateCen, t.stateDB) {
		// Another tone, or the same at another level: the cadence is over
		// (a hold music's note after the ringback, say), and this burst
		// may begin a cadence of its own.
		t.state = ToneState{}
	}
	lastOn := t.ons[0]
	// Two bursts of one tone with a gap between them (UK ring, busy, reorder).
	again := t.nOn >= 1 && t.class != toneNone && t.burstIs(t.lastCen, t.lastDB)
	switch t.familyClass {
	case toneSIT:
		if t.sitSteps >= 2 || (t.sitSteps >= 1 && t.sitOrder == 2) {
			t.firstOn = t.sitStart
			t.set(Busy, "sit", sitMaxGap+1.0)
		}
	case toneUSBusy:
		switch {
		case !again:
		case in(lastOn, reorderOnLo, reorderOnHi) && in(t.offs[0], reorderOnLo, reorderOnHi):
			t.set(Busy, "reorder", reorderMaxOff)
		case in(lastOn, busyOnLo, busyOnHi) && in(t.offs[0], busyOnLo, busyOnHi):
			t.set(Busy, "busy", busyMaxOff)
		}
	case toneLow:
		switch {
		case t.state.Label == Ringing && curOn >= ringMinOn:
			// Later rings of a recognised ringback (the same tone: see above).
			t.set(Ringing, t.state.Kind, ringMaxOff)
		case t.nOn >= 1 && t.class == toneNone && in(lastOn, ringMinOn, ringMaxOn) && float64(t.offFrames)*sec >= ringMinOff:
			// One ring followed by a clean gap; 440+480 Hz centres above
			// toneUSCentroidHz, 425 Hz and 400+450 Hz below.
			plan := "ringback-eu"
			if t.lastCen > toneUSCentroidHz {
				plan = "ringback-us"
			}
			t.set(Ringing, plan, ringMaxOff)
		case !again:
		case in(lastOn, ukRingOnLo, ukRingOnHi) && in(t.offs[0], ukRingGapLo, ukRingGapHi):
			t.set(Ringing, "ringback-uk", ringMaxOff)
		case in(lastOn, reorderOnLo, reorderOnHi) && in(t.offs[0], reorderOnLo, reorderOnHi):
			t.set(Busy, "reorder", reorderMaxOff)
		case in(lastOn, busyOnLo, busyOnHi) && in(t.offs[0], ukRingGapHi, busyOnHi):
			t.set(Busy, "busy", busyMaxOff)
		}
	}
}
