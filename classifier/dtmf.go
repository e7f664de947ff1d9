package classifier

import "math"

// DTMF receiver limits after ITU-T Q.24: frequencies within ±1.5 % must be
// accepted and beyond ±3.5 % rejected (we cut at DefaultDTMFFreqTol, between
// the two); a tone pair must last at least 40 ms and pairs shorter than about
// 23 ms are rejected; the level difference between the groups (twist) is limited.
const (
	DefaultDTMFFreqTol     = 0.025 // relative deviation accepted
	DefaultDTMFMaxTwistHi  = 8.0   // dB the high group may be above the low group
	DefaultDTMFMaxTwistLo  = 4.0   // dB the low group may be above the high group
	DefaultDTMFMinPurity   = 0.80  // share of the frame's energy in the two tones
	DefaultDTMFMinLevelDB  = -40.0 // dBFS per frame; quieter pairs are ignored
	dtmfBlocks             = 4     // 10 ms sub-blocks of the 40 ms window
	dtmfMinOnBlocks        = 3     // >= 30 ms of steady tone inside the window
	dtmfBlockTolDB         = 1.5   // a block is "on" within this of the loudest
	dtmfEndFrames          = 2     // frames without the pair that end a digit
	dtmfLowGroupLo, dtmfLo = 650.0, 990.0
	dtmfHighGroupLo        = 1150.0
	dtmfHighGroupHi        = 1700.0
)

var (
	dtmfRows   = [4]float64{697, 770, 852, 941}
	dtmfCols   = [4]float64{1209, 1336, 1477, 1633}
	dtmfDigits = [4][4]byte{{'1', '2', '3', 'A'}, {'4', '5', '6', 'B'}, {'7', '8', '9', 'C'}, {'*', '0', '#', 'D'}}
)

// DTMFDetector finds keypad digits in the spectra of a FeatureExtractor.
type DTMFDetector struct {
	FreqTol    float64
	MaxTwistHi float64
	MaxTwistLo float64
	MinPurity  float64
	MinLevelDB float64

	digit   byte // digit currently sounding, 0 if none
	missing int  // consecutive frames without it
	// Twist of the last frame checked, in dB (high minus low), for tests.
	lastTwist float64
}

// NewDTMFDetector returns a detector with the Q.24-derived defaults.
func NewDTMFDetector() *DTMFDetector {
	return &DTMFDetector{FreqTol: DefaultDTMFFreqTol, MaxTwistHi: DefaultDTMFMaxTwistHi,
		MaxTwistLo: DefaultDTMFMaxTwistLo, MinPurity: DefaultDTMFMinPurity, MinLevelDB: DefaultDTMFMinLevelDB}
}

// Reset forgets the digit in progress.
func (d *DTMFDetector) Reset() { d.digit, d.missing = 0, 0 }

// Process checks the extractor's current window. present reports that a
// digit is sounding in this frame; started is true on the frame where a new
// digit is first accepted.
func (d *DTMFDetector) Process(fe *FeatureExtractor, energyDB float64) (digit byte, present, started bool) {
	c := d.check(fe, energyDB)
	if c != 0 && c == d.digit {
		d.missing = 0
		return c, true, false
	}
	if c != 0 && d.steady(fe) {
		d.digit, d.missing = c, 0
		return c, true, true
	}
	if d.digit != 0 {
		d.missing++
		if d.missing >= dtmfEndFrames {
			d.digit = 0
		}
	}
	return 0, false, false
}

// check returns the digit whose pair dominates the window, or 0.
func (d *DTMFDetector) check(fe *FeatureExtractor, energyDB float64) byte {
	if energyDB < d.MinLevelDB {
		return 0
	}
	lf, lp := fe.peakFreq(dtmfLowGroupLo, dtmfLo)
	hf, hp := fe.peakFreq(dtmfHighGroupLo, dtmfHighGroupHi)
	total := fe.bandEnergy(100, 3900)
	if total <= 0 || (lp+hp)/total < d.MinPurity {
		return 0
	}
	row, col := nearest(dtmfRows[:], lf, d.FreqTol), nearest(dtmfCols[:], hf, d.FreqTol)
	if row < 0 || col < 0 {
		return 0
	}
	twist := 10 * math.Log10(hp/lp)
	d.lastTwist = twist
	if twist > d.MaxTwistHi || -twist > d.MaxTwistLo {
		return 0
	}
	return dtmfDigits[row][col]
}

// steady requires the pair to fill at least 30 ms of the 40 ms window, so
// that tones shorter than ~23 ms are rejected and 40 ms tones accepted.
func (d *DTMFDetector) steady(fe *FeatureExtractor) bool {
	var e [dtmfBlocks]float64
	n := windowLen / dtmfBlocks
	maxE := 0.0
	for b := range e {
		for _, v := range fe.buf[b*n : (b+1)*n] {
			e[b] += v * v
		}
		maxE = max(maxE, e[b])
	}
	if maxE == 0 {
		return false
	}
	on := 0
	lim := maxE * math.Pow(10, -dtmfBlockTolDB/10)
	for _, v := range e {
		if v >= lim {
			on++
		}
	}
	return on >= dtmfMinOnBlocks
}

// nearest returns the index of the nominal frequency within tol of f, or -1.
func nearest(nominal []float64, f, tol float64) int {
	for i, n := range nominal {
		if math.Abs(f-n) <= tol*n {
			return i
		}
	}
	return -1
}
