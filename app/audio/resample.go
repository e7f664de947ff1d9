package audio

import "math"

// Resampler quality settings: a Blackman-windowed sinc with resampleZeros
// zero crossings on each side of the centre, and its cut-off placed a little
// below the lower Nyquist frequency so downsampling does not alias (the
// telephone band at 8 kHz keeps everything up to about 3.6 kHz).
const (
	resampleZeros  = 16
	resampleCutoff = 0.92
	maxPhases      = 4096
)

// Resample converts samples from one rate to another with a windowed-sinc
// interpolator whose cut-off follows the lower of the two Nyquist frequencies
// (an anti-alias low-pass when downsampling). Equal rates return a copy.
func Resample(samples []int16, from, to int) []int16 {
	if from <= 0 || to <= 0 || len(samples) == 0 {
		return nil
	}
	if from == to {
		return append([]int16(nil), samples...)
	}
	g := gcd(from, to)
	up, down := to/g, from/g // output n sits at input position n*down/up
	ratio := float64(to) / float64(from)
	scale := math.Min(1, ratio) * resampleCutoff  // cut-off as a fraction of input Nyquist
	half := int(math.Ceil(resampleZeros / scale)) // taps each side, in input samples
	width := 2*half + 1

	outLen := int((int64(len(samples))*int64(up) + int64(down) - 1) / int64(down))
	out := make([]int16, outLen)

	kernel := func(dst []float64, frac float64) {
		// dst[k] weights input sample (base - half + k); frac is the distance
		// of the output point past base, in [0, 1).
		var sum float64
		for k := range dst {
			x := float64(k-half) - frac
			w := scale * sinc(scale*x) * blackman(x, float64(half)+1)
			dst[k] = w
			sum += w
		}
		if sum != 0 {
			for k := range dst {
				dst[k] /= sum
			}
		}
	}

	var table [][]float64
	if up <= maxPhases {
		table = make([][]float64, up)
		for p := range table {
			table[p] = make([]float64, width)
			kernel(table[p], float64(p)/float64(up))
		}
	}
	tmp := make([]float64, width)
	for n := range out {
		pos := int64(n) * int64(down)
		base := int(pos / int64(up))
		phase := int(pos % int64(up))
		k := tmp
		if table != nil {
			k = table[phase]
		} else {
			kernel(tmp, float64(phase)/float64(up))
		}
		var acc float64
		start := base - half
		for j, w := range k {
			i := start + j
			if i < 0 || i >= len(samples) {
				continue
			}
			acc += w * float64(samples[i])
		}
		out[n] = clamp16(acc)
	}
	return out
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	px := math.Pi * x
	return math.Sin(px) / px
}

// blackman is a Blackman window centred on 0 with half-width h.
func blackman(x, h float64) float64 {
	if x <= -h || x >= h {
		return 0
	}
	t := (x + h) / (2 * h)
	return 0.42 - 0.5*math.Cos(2*math.Pi*t) + 0.08*math.Cos(4*math.Pi*t)
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
