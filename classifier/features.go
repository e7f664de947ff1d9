package classifier

import "math"

// Internal analysis parameters. Everything below the Pipeline runs at 8 kHz:
// 16 kHz input is low-passed and decimated first, because the telephone band
// ends at 3.4 kHz anyway and it halves the cost.
const (
	analysisRate = 8000
	frameLen     = 160          // 20 ms at 8 kHz
	windowLen    = 2 * frameLen // 40 ms analysis window (current + previous frame)
	fftLen       = 512          // zero-padded FFT: 15.625 Hz per bin
	binHz        = float64(analysisRate) / fftLen
	bandLoHz     = 300.0
	bandHiHz     = 3400.0
	pitchMinHz   = 60.0
	pitchMaxHz   = 400.0
	fullScale    = 32768.0
)

// FeatureExtractor computes per-frame spectral features from 8 kHz frames of
// 160 samples. Its Spectrum is kept for the tone and DTMF detectors.
type FeatureExtractor struct {
	fft      *realFFT
	even     *evenDFT              // autocorrelation from the power spectrum
	ac       [fftLen/2 + 1]float64 // autocorrelation of the window, lags 0..fftLen/2
	win      [windowLen]float64    // Hann window
	winAC    [windowLen]float64    // normalised autocorrelation of the window
	buf      [windowLen]float64    // last 40 ms of samples
	x        [fftLen]float64
	Spectrum [fftLen/2 + 1]float64 // power per bin of the last analysis window
	// The autocorrelation sees the spectrum with the line's steady noise
	// taken out below humLoBins (lowClean; see denoiseLow) over a faint
	// white floor. lowSmooth and lowMin track that noise.
	lowClean  [humLoBins]float64
	lowSmooth [humLoBins]float64
	lowMin    [noiseBlocks][humLoBins]float64
	blockPos  int
	blockN    int
	haveNoise bool
	prevNorm  [fftLen/2 + 1]float64 // sqrt of normalised previous spectrum
	bandLo    int
	bandHi    int
	lastX     float64 // last sample of the previous frame, for ZCR
	havePrev  bool
	// The tone and DTMF detectors both ask for the energy in 100..3900 Hz
	// every frame; Process sums those bins (in bandEnergy's order, so the
	// value is the same) in the loops it runs over the spectrum anyway.
	wideLo, wideHi int
	wideSum        float64
}

// Mains hum (50/60 Hz and its odd harmonics) is a steady tone under
// everything: it made every quiet frame of a humming line look perfectly
// periodic at one pitch, which the context model took for a held note, so
// an agent on such a line sounded like speech over music (validation calls:
// 15 of 27 hum agents missed). Below humLoBins (250 Hz) the pitch input
// therefore loses the line's steady noise: per bin, the minimum of the
// spectrum smoothed over about 7 frames (noiseSmooth), over noiseBlocks
// blocks of noiseBlockFrames (3 s, longer than a 2 s ringback burst or a
// held note, so neither is taken for noise), taken out noiseOver times (the
// minimum of smoothed noise lies about that far below its mean). Above it
// the spectrum is left alone: subtracting there too lost agents on the voice
// fold. Everything rests on pitchFloor, white about 75 dB below full scale,
// so a frame with nothing but the cleaned line in it has no pitch.
const (
	humLoBins        = 16 // 250 Hz
	noiseBlocks      = 4
	noiseBlockFrames = 38
	noiseSmooth      = 0.15
	noiseOver        = 3.0
	pitchFloor       = 4000.0
)

// denoiseLow fills lowClean from Spectrum.
func (f *FeatureExtractor) denoiseLow() {
	sp := f.Spectrum[:]
	if !f.haveNoise {
		// No noise is assumed until blocks of evidence are in: a line that
		// starts with a tone must not have it taken for its noise.
		copy(f.lowSmooth[:], sp)
		f.lowMin = [noiseBlocks][humLoBins]float64{}
		f.haveNoise = true
	}
	cur := &f.lowMin[f.blockPos]
	for k := range humLoBins {
		p := sp[k]
		s := f.lowSmooth[k] + noiseSmooth*(p-f.lowSmooth[k])
		f.lowSmooth[k] = s
		if f.blockN == 0 || s < cur[k] {
			cur[k] = s
		}
		n := cur[k]
		for b := range f.lowMin {
			n = min(n, f.lowMin[b][k])
		}
		f.lowClean[k] = max(p-noiseOver*n, 0)
	}
	if f.blockN++; f.blockN == noiseBlockFrames {
		f.blockN = 0
		f.blockPos = (f.blockPos + 1) % noiseBlocks
	}
}

// NewFeatureExtractor returns an extractor for 8 kHz frames of 160 samples.
func NewFeatureExtractor() *FeatureExtractor {
	f := &FeatureExtractor{fft: newRealFFT(fftLen), even: newEvenDFT(fftLen / 2)}
	for i := range f.win {
		f.win[i] = 0.5 - 0.5*math.Cos(2*math.Pi*(float64(i)+0.5)/windowLen)
	}
	var w0 float64
	for i := range f.win {
		w0 += f.win[i] * f.win[i]
	}
	for l := range f.winAC {
		var s float64
		for i := 0; i+l < windowLen; i++ {
			s += f.win[i] * f.win[i+l]
		}
		f.winAC[l] = s / w0
	}
	lo, hi := bandLoHz/binHz, bandHiHz/binHz
	f.bandLo, f.bandHi = int(lo), int(hi)
	f.wideLo, f.wideHi = bandBins(wideLoHz, wideHiHz)
	if f.wideLo > f.bandLo || f.wideHi < f.bandHi {
		panic("classifier: the wide band must contain the analysis band") // constants; cannot happen
	}
	return f
}

// wideLoHz and wideHiHz bound the band whose energy the tone and DTMF
// detectors normalise by; Process precomputes it.
const (
	wideLoHz = 100.0
	wideHiHz = 3900.0
)

// bandBins returns the bins bandEnergy sums for lo..hi Hz.
func bandBins(lo, hi float64) (a, b int) {
	a, b = int(lo/binHz+0.5), int(hi/binHz+0.5)
	if a < 0 {
		a = 0
	}
	if b > fftLen/2 {
		b = fftLen / 2
	}
	return a, b
}

// Reset forgets all history.
func (f *FeatureExtractor) Reset() {
	f.buf = [windowLen]float64{}
	f.haveNoise, f.blockN, f.blockPos = false, 0, 0
	f.prevNorm = [fftLen/2 + 1]float64{}
	f.lastX = 0
	f.havePrev = false
}

// Process analyses one 160-sample frame (8 kHz, int16 scale) and returns its features.
func (f *FeatureExtractor) Process(frame []float64) Features {
	var ft Features
	copy(f.buf[:], f.buf[frameLen:])
	copy(f.buf[frameLen:], frame)

	// Zero crossings of the current 20 ms (its level is summed below).
	zc := 0
	// Sign changes counted without branches (speech and noise make the
	// branch unpredictable).
	neg := 0
	if f.lastX < 0 {
		neg = 1
	}
	for _, v := range frame {
		n := 0
		if v < 0 {
			n = 1
		}
		zc += n ^ neg
		neg = n
	}
	if len(frame) > 0 {
		f.lastX = frame[len(frame)-1]
	}
	ft.ZCR = float64(zc) / float64(len(frame))

	// Power spectrum of the 40 ms window (f.x[windowLen:] stays zero).
	for i := range f.buf {
		f.x[i] = f.buf[i] * f.win[i]
	}
	f.fft.power(f.x[:], f.Spectrum[:])
	// One pass over the spectrum in ascending bins, split where the sums
	// start and stop: the total, the wide band (for bandEnergy) and the
	// analysis band's sums each add in the same order as a loop of their
	// own, but as independent chains in one loop the CPU overlaps them.
	//
	// The log of the geometric mean is taken of one running product: every
	// 16 bins (each bin is 1e-3..~1e14, so 16 of them stay within float64)
	// its binary exponent moves into an integer, so one logarithm serves
	// all 200 bins.
	var total, wide, band, logSum, cen float64
	sp := f.Spectrum[:]
	k := 0
	for ; k < f.wideLo; k++ {
		total += sp[k]
	}
	for ; k < f.bandLo; k++ {
		p := sp[k]
		total += p
		wide += p
	}
	prod, np, exp2 := 1.0, 0, 0
	for ; k <= f.bandHi; k++ {
		p := sp[k]
		total += p
		wide += p
		band += p
		cen += p * float64(k)
		prod *= p + 1e-3
		if np++; np == 16 {
			m, e := math.Frexp(prod)
			prod, np, exp2 = m, 0, exp2+e
		}
	}
	logSum = math.Log(prod) + float64(exp2)*math.Ln2
	for ; k <= f.wideHi; k++ {
		p := sp[k]
		total += p
		wide += p
	}
	for ; k < len(sp); k++ {
		total += sp[k]
	}
	f.wideSum = wide
	cen *= binHz
	nb := float64(f.bandHi - f.bandLo + 1)
	if band > 0 {
		am := band / nb
		ft.Flatness = math.Exp(logSum/nb) / (am + 1e-3)
		ft.Centroid = cen / band
	}
	// Flux between level-normalised spectra (so loudness changes do not
	// count), and the level of the current 20 ms. Both are long chains of
	// additions; summed side by side in one loop (each in its own order, so
	// the values are the same) the CPU overlaps them.
	var flux, e float64
	inv := 1 / (band + 1e-9)
	sb := f.Spectrum[f.bandLo : f.bandHi+1]
	prev := f.prevNorm[f.bandLo : f.bandHi+1]
	prev = prev[:len(sb)]
	both := min(len(sb), len(frame))
	fr := frame[:both]
	for i, v := range fr {
		e += v * v
		s := math.Sqrt(sb[i] * inv)
		d := s - prev[i]
		flux += d * d
		prev[i] = s
	}
	for i := both; i < len(sb); i++ {
		s := math.Sqrt(sb[i] * inv)
		d := s - prev[i]
		flux += d * d
		prev[i] = s
	}
	for _, v := range frame[both:] {
		e += v * v
	}
	e /= float64(len(frame))
	ft.EnergyDB = 10 * math.Log10(e/(fullScale*fullScale)+1e-12)
	if f.havePrev {
		ft.Flux = flux
	}
	f.havePrev = true

	// Pitch from the autocorrelation: the inverse transform of the power
	// spectrum (real and even, so a half-size cosine transform does the job),
	// with the hum taken out.
	f.denoiseLow()
	if total > 0 {
		// The cleaned bins stand in for the raw ones during the transform
		// (the tone and DTMF detectors read Spectrum afterwards). A white
		// floor of pitchFloor in every bin transforms to 2 m pitchFloor at
		// lag 0 and nothing elsewhere, so it is added there.
		var raw [humLoBins]float64
		copy(raw[:], f.Spectrum[:humLoBins])
		copy(f.Spectrum[:humLoBins], f.lowClean[:])
		f.even.transform(f.Spectrum[:], f.ac[:])
		copy(f.Spectrum[:humLoBins], raw[:])
		f.ac[0] += fftLen * pitchFloor
		r0 := f.ac[0]
		best, bestLag := 0.0, 0
		pmax, pmin := pitchMaxHz, pitchMinHz
		lo, hi := int(analysisRate/pmax), int(analysisRate/pmin)
		for l := lo; l <= hi; l++ {
			if f.ac[l] < f.ac[l-1] || f.ac[l] < f.ac[l+1] {
				continue // only local maxima
			}
			if v := f.ac[l] / (r0 * f.winAC[l]); v > best {
				best, bestLag = v, l
			}
		}
		if best > 1 {
			best = 1
		}
		ft.Harmonicity = best
		if best > 0.45 && bestLag > 0 {
			ft.Pitch = analysisRate / float64(bestLag)
		}
	}
	return ft
}

// bandEnergy sums the spectrum between lo and hi Hz. The wide band comes
// from the sum Process took (the same bins in the same order).
func (f *FeatureExtractor) bandEnergy(lo, hi float64) float64 {
	a, b := bandBins(lo, hi)
	if a == f.wideLo && b == f.wideHi {
		return f.wideSum
	}
	var s float64
	for k := a; k <= b; k++ {
		s += f.Spectrum[k]
	}
	return s
}

// peakFreq finds the strongest bin between lo and hi Hz and refines it with
// a parabola through the log magnitudes of its neighbours. It returns the
// frequency and the power in the peak's main lobe (±2 bins).
func (f *FeatureExtractor) peakFreq(lo, hi float64) (freq, power float64) {
	a, b := int(lo/binHz), int(hi/binHz+1)
	if a < 1 {
		a = 1
	}
	if b > fftLen/2-1 {
		b = fftLen/2 - 1
	}
	best := a
	for k := a; k <= b; k++ {
		if f.Spectrum[k] > f.Spectrum[best] {
			best = k
		}
	}
	l := math.Log(f.Spectrum[best-1] + 1e-9)
	c := math.Log(f.Spectrum[best] + 1e-9)
	r := math.Log(f.Spectrum[best+1] + 1e-9)
	d := 0.0
	if den := l - 2*c + r; den < 0 {
		d = 0.5 * (l - r) / den
	}
	for k := best - 2; k <= best+2; k++ {
		if k >= 0 && k <= fftLen/2 {
			power += f.Spectrum[k]
		}
	}
	return (float64(best) + d) * binHz, power
}
