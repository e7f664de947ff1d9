package aritest

import (
	"math"

	"gonum.org/v1/gonum/dsp/fourier"
)

// Spectral features and their alignment, for the closed-vocabulary recogniser and the spoken
// menus. Audio that went through the simulated network and a starved process is ragged: 20 ms
// frames dropped or played twice, silence inserted where a jitter buffer ran dry, the start or
// end cut by a VAD. A rigid correlation loses its alignment at the first such fault, so clips
// are compared with dynamic time warping: every clip frame is matched to a frame of the
// reference, the reference may advance 0 to 3 frames per clip frame (a repeat, normal speed,
// frames lost), quiet clip frames may be skipped cheaply (an inserted gap), and the match may
// start and end anywhere in the reference (a clip is often one sentence of a prompt).

// Feature extraction and alignment tuning.
const (
	featHop    = 160 // samples per feature frame at 8 kHz (20 ms, one RTP frame)
	featWindow = 256 // FFT window (32 ms, Hann)
	// featFloorDB: band levels are relative to the clip's loudest frame and clipped this far
	// below it, so silence of any depth looks the same.
	featFloorDB = 45.0
	// quietDB: a frame this far under the loudest is a pause (or a gap the network left).
	quietDB = 30.0
	// Step costs in dB (the unit of the frame distance): a clip frame matched again to the
	// same reference frame, a reference frame skipped, a quiet clip frame skipped.
	stayCost = 3.0
	skipCost = 2.0
	gapCost  = 1.0
	// junkCost is the price per clip frame left unmatched at either end (music before an
	// announcement, the next prompt's first syllable), at most junkShare of the clip.
	junkCost  = 10.0
	junkShare = 0.25
	// minSpanShare: the reference stretch a clip matches must be at least this share of the
	// clip's voiced frames (a whole clip folded onto a few frames is no match).
	minSpanShare = 0.5
)

// bandEdges are the feature bands in Hz (telephone band, roughly equal on a Bark scale).
var bandEdges = []float64{150, 400, 700, 1000, 1400, 1900, 2500, 3400}

const nBands = 7

// feats are a clip's per-frame band levels (dB relative to its loudest frame, floored) and
// which frames are quiet.
type feats struct {
	v     []float64 // len(quiet) * nBands
	quiet []bool
}

func (f feats) len() int { return len(f.quiet) }

func (f feats) frame(i int) []float64 { return f.v[i*nBands : (i+1)*nBands] }

// voicedFrames counts the frames that are not quiet.
func (f feats) voicedFrames() int {
	n := 0
	for _, q := range f.quiet {
		if !q {
			n++
		}
	}
	return n
}

// slice is frames [lo, hi).
func (f feats) slice(lo, hi int) feats {
	return feats{v: f.v[lo*nBands : hi*nBands], quiet: f.quiet[lo:hi]}
}

// trim drops the quiet frames at both ends and returns the offset of the first kept frame.
func (f feats) trim() (feats, int) {
	lo, hi := 0, f.len()
	for lo < hi && f.quiet[lo] {
		lo++
	}
	for hi > lo && f.quiet[hi-1] {
		hi--
	}
	return f.slice(lo, hi), lo
}

// halve averages pairs of frames (a 40 ms hop), for the cheap search through long music.
func (f feats) halve() feats {
	n := f.len() / 2
	out := feats{v: make([]float64, n*nBands), quiet: make([]bool, n)}
	for i := 0; i < n; i++ {
		a, b, o := f.frame(2*i), f.frame(2*i+1), out.v[i*nBands:(i+1)*nBands]
		for k := range o {
			o[k] = (a[k] + b[k]) / 2
		}
		out.quiet[i] = f.quiet[2*i] && f.quiet[2*i+1]
	}
	return out
}

// features computes band levels for 8 kHz samples.
func features(s []int16) feats {
	n := 0
	if len(s) >= featHop {
		n = (len(s)-featHop)/featHop + 1
	}
	out := feats{v: make([]float64, n*nBands), quiet: make([]bool, n)}
	if n == 0 {
		return out
	}
	fft := fourier.NewFFT(featWindow)
	win := make([]float64, featWindow)
	hann := make([]float64, featWindow)
	for i := range hann {
		hann[i] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(featWindow-1))
	}
	coef := make([]complex128, featWindow/2+1)
	binHz := 8000.0 / featWindow
	total := make([]float64, n)
	peak := -200.0
	for i := 0; i < n; i++ {
		// The window is centred on the hop frame.
		start := i*featHop + featHop/2 - featWindow/2
		for k := range win {
			j := start + k
			if j >= 0 && j < len(s) {
				win[k] = float64(s[j]) * hann[k]
			} else {
				win[k] = 0
			}
		}
		fft.Coefficients(coef, win)
		o := out.v[i*nBands : (i+1)*nBands]
		var all float64
		for b := 0; b < nBands; b++ {
			lo, hi := int(bandEdges[b]/binHz), int(bandEdges[b+1]/binHz)
			var e float64
			for k := lo; k < hi; k++ {
				re, im := real(coef[k]), imag(coef[k])
				e += re*re + im*im
			}
			all += e
			o[b] = 10 * math.Log10(e/float64(hi-lo)+1)
		}
		total[i] = 10 * math.Log10(all+1)
		peak = max(peak, total[i])
	}
	// Relative to the loudest frame: the same phrase at another level has the same features.
	ref := peak - 10*math.Log10(float64(featWindow)) // a band's level sits about here below the total
	for i := 0; i < n; i++ {
		o := out.v[i*nBands : (i+1)*nBands]
		for b := range o {
			o[b] = max(o[b]-ref, -featFloorDB)
		}
		out.quiet[i] = total[i] < peak-quietDB
	}
	return out
}

// alignment is how a clip lies on a reference: the mean cost per clip frame and the
// reference frames [from, to) it covers.
type alignment struct {
	cost     float64
	from, to int
}

// align warps clip onto ref (see the comment at the top of the file for the steps allowed)
// and returns the cheapest alignment; cost is +Inf when there is none. It is the recogniser's
// whole cost (clip frames times reference frames, hold music included), so it is exempt from
// the race detector's instrumentation, which made it 10 times slower and the transcription
// endpoint time out under `go test -race` on a loaded machine: it only reads its arguments
// (features, never written after they are made) and writes its own local rows.
//
//go:norace
func align(clip, ref feats) alignment {
	n, m := clip.len(), ref.len()
	none := alignment{cost: math.Inf(1)}
	if n == 0 || m == 0 {
		return none
	}
	junk := int(junkShare * float64(n))
	inf := math.Inf(1)
	prev, cur := make([]float64, m), make([]float64, m)
	prevFrom, curFrom := make([]int, m), make([]int, m)
	best := none
	for i := 0; i < n; i++ {
		c := clip.v[i*nBands : (i+1)*nBands : (i+1)*nBands]
		q := clip.quiet[i]
		rv := ref.v
		for j := 0; j < m; j++ {
			// The mean absolute difference of the two frames' band levels, written out: this
			// loop is the recogniser's whole cost.
			r := rv[j*nBands : (j+1)*nBands : (j+1)*nBands]
			var d float64
			for k, x := range c {
				if x -= r[k]; x < 0 {
					x = -x
				}
				d += x
			}
			d /= nBands
			v, from := inf, j
			if i <= junk {
				// The match may start here, after i unmatched clip frames.
				v = float64(i)*junkCost + d
			}
			if i > 0 {
				if p := prev[j]; p < inf {
					step := d + stayCost
					if q {
						step = min(step, gapCost)
					}
					if p+step < v {
						v, from = p+step, prevFrom[j]
					}
				}
				for k := 1; k <= 3 && k <= j; k++ {
					p := prev[j-k]
					if p == inf {
						continue
					}
					step := d + float64(k-1)*skipCost
					if p+step < v {
						v, from = p+step, prevFrom[j-k]
					}
				}
			}
			cur[j], curFrom[j] = v, from
			if i >= n-1-junk && v < inf {
				total := (v + float64(n-1-i)*junkCost) / float64(n)
				if total < best.cost {
					best = alignment{cost: total, from: from, to: j + 1}
				}
			}
		}
		prev, cur = cur, prev
		prevFrom, curFrom = curFrom, prevFrom
	}
	if float64(best.to-best.from) < minSpanShare*float64(clip.voicedFrames()) {
		return none
	}
	return best
}
