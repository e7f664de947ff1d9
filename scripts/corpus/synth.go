package main

import (
	"math"
	"math/rand/v2"

	"github.com/holdslayer/holdslayer/app/audio"
)

// toneSpec is a call-progress tone: frequencies and an on/off cadence (seconds).
type toneSpec struct {
	kind    string
	label   string
	freqs   [][]float64 // per cadence step (SIT has different tones per step)
	cadence []float64   // on, off, on, off, ...
}

var tonePlans = []toneSpec{
	{"ringback-us", "ringing", [][]float64{{440, 480}}, []float64{2, 4}},
	{"ringback-uk", "ringing", [][]float64{{400, 450}}, []float64{0.4, 0.2, 0.4, 2}},
	{"ringback-eu", "ringing", [][]float64{{425}}, []float64{1, 4}},
	{"busy-us", "busy", [][]float64{{480, 620}}, []float64{0.5, 0.5}},
	{"reorder-us", "busy", [][]float64{{480, 620}}, []float64{0.25, 0.25}},
	{"busy-uk", "busy", [][]float64{{400}}, []float64{0.375, 0.375}},
	{"busy-eu", "busy", [][]float64{{425}}, []float64{0.5, 0.5}},
	{"congestion-eu", "busy", [][]float64{{425}}, []float64{0.25, 0.25}},
	{"sit-itu", "busy", [][]float64{{950}, {1400}, {1800}}, []float64{0.33, 0.03, 0.33, 0.03, 0.33, 1.0}},
	{"sit-na", "busy", [][]float64{{985.2}, {1370.6}, {1776.7}}, []float64{0.38, 0.0, 0.274, 0.0, 0.38, 1.0}},
}

// tone renders n samples of a plan starting offset seconds into its cadence.
func tone(t toneSpec, n int, offset, amp float64) []int16 {
	out := make([]int16, n)
	period := 0.0
	for _, c := range t.cadence {
		period += c
	}
	for i := range out {
		ts := float64(i)/rate + offset
		pos := math.Mod(ts, period)
		step := 0
		for pos >= t.cadence[step] {
			pos -= t.cadence[step]
			step++
		}
		if step%2 == 1 {
			continue
		}
		fs := t.freqs[(step/2)%len(t.freqs)]
		var v float64
		for _, f := range fs {
			v += math.Sin(2 * math.Pi * f * ts)
		}
		out[i] = int16(amp / float64(len(fs)) * v)
	}
	return out
}

var dtmfRow = map[byte]float64{'1': 697, '2': 697, '3': 697, 'A': 697, '4': 770, '5': 770, '6': 770, 'B': 770,
	'7': 852, '8': 852, '9': 852, 'C': 852, '*': 941, '0': 941, '#': 941, 'D': 941}
var dtmfCol = map[byte]float64{'1': 1209, '4': 1209, '7': 1209, '*': 1209, '2': 1336, '5': 1336, '8': 1336, '0': 1336,
	'3': 1477, '6': 1477, '9': 1477, '#': 1477, 'A': 1633, 'B': 1633, 'C': 1633, 'D': 1633}

// dtmfSeq renders digits with random on/off times within Q.23 practice.
func dtmfSeq(r *rand.Rand, digits string, amp float64) []int16 {
	var out []int16
	for i := 0; i < len(digits); i++ {
		on := int((0.07 + 0.08*r.Float64()) * rate)
		off := int((0.06 + 0.06*r.Float64()) * rate)
		lo, hi := dtmfRow[digits[i]], dtmfCol[digits[i]]
		for k := 0; k < on; k++ {
			t := float64(k) / rate
			out = append(out, int16(amp*0.45*(math.Sin(2*math.Pi*lo*t)+1.26*math.Sin(2*math.Pi*hi*t))))
		}
		out = append(out, make([]int16, off)...)
	}
	return out
}

func whiteNoise(r *rand.Rand, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = r.NormFloat64()
	}
	return out
}

// pinkNoise uses the Voss-McCartney style sum of octave-spaced random steps.
func pinkNoise(r *rand.Rand, n int) []float64 {
	out := make([]float64, n)
	var rows [12]float64
	var sum float64
	for i := range out {
		for k := 0; k < len(rows); k++ {
			if i%(1<<k) == 0 {
				sum -= rows[k]
				rows[k] = r.NormFloat64()
				sum += rows[k]
			}
		}
		out[i] = sum + r.NormFloat64()
	}
	return out
}

func rmsOf(s []int16) float64 {
	var e float64
	for _, v := range s {
		e += float64(v) * float64(v)
	}
	if len(s) == 0 {
		return 0
	}
	return math.Sqrt(e / float64(len(s)))
}

func rmsF(s []float64) float64 {
	var e float64
	for _, v := range s {
		e += v * v
	}
	return math.Sqrt(e / float64(len(s)))
}

func clip16(v float64) int16 {
	if v > 32767 {
		return 32767
	}
	if v < -32768 {
		return -32768
	}
	return int16(math.Round(v))
}

// setLevel scales s so that its RMS sits at db dBFS (sine full scale = -3).
func setLevel(s []int16, db float64) []int16 {
	r := rmsOf(s)
	out := make([]int16, len(s))
	if r == 0 {
		return out
	}
	g := 32768 * math.Pow(10, db/20) / r
	for i, v := range s {
		out[i] = clip16(float64(v) * g)
	}
	return out
}

// addNoise adds noise at snr dB below the signal's RMS (or at floorDB if the
// signal is silent).
func addNoise(s []int16, noise []float64, snr, floorDB float64) []int16 {
	target := rmsOf(s) * math.Pow(10, -snr/20)
	if fl := 32768 * math.Pow(10, floorDB/20); target < fl {
		target = fl
	}
	g := target / (rmsF(noise) + 1e-9)
	out := make([]int16, len(s))
	for i, v := range s {
		out[i] = clip16(float64(v) + g*noise[i])
	}
	return out
}

// bandLimit applies a 300-3400 Hz band-pass (cascaded biquads).
func bandLimit(s []int16) []int16 {
	x := make([]float64, len(s))
	for i, v := range s {
		x[i] = float64(v)
	}
	for pass := 0; pass < 2; pass++ {
		x = biquadRun(x, 300, true)
		x = biquadRun(x, 3400, false)
	}
	out := make([]int16, len(s))
	for i, v := range x {
		out[i] = clip16(v)
	}
	return out
}

func biquadRun(x []float64, fc float64, high bool) []float64 {
	w := 2 * math.Pi * fc / rate
	alpha := math.Sin(w) / math.Sqrt2
	cw := math.Cos(w)
	var b0, b1, b2 float64
	if high {
		b0, b1, b2 = (1+cw)/2, -(1 + cw), (1+cw)/2
	} else {
		b0, b1, b2 = (1-cw)/2, 1-cw, (1-cw)/2
	}
	a0, a1, a2 := 1+alpha, -2*cw, 1-alpha
	out := make([]float64, len(x))
	var x1, x2, y1, y2 float64
	for i, v := range x {
		y := (b0*v + b1*x1 + b2*x2 - a1*y1 - a2*y2) / a0
		x2, x1, y2, y1 = x1, v, y1, y
		out[i] = y
	}
	return out
}

// condition applies one named telephone condition.
func condition(r *rand.Rand, name string, s []int16) ([]int16, error) {
	switch name {
	case "clean":
		return s, nil
	case "ulaw":
		return audio.ULawDecode(audio.ULawEncode(s)), nil
	case "alaw":
		return audio.ALawDecode(audio.ALawEncode(s)), nil
	case "gsm":
		return gsmRoundTrip(s)
	case "band":
		return bandLimit(s), nil
	case "white20":
		return addNoise(s, whiteNoise(r, len(s)), 20, -70), nil
	case "white10":
		return addNoise(s, whiteNoise(r, len(s)), 10, -70), nil
	case "pink20":
		return addNoise(s, pinkNoise(r, len(s)), 20, -70), nil
	case "pink10":
		return addNoise(s, pinkNoise(r, len(s)), 10, -70), nil
	case "quiet":
		return setLevel(s, -30), nil
	case "loud":
		return setLevel(s, -3), nil
	case "lost":
		out := append([]int16(nil), s...)
		for f := 0; f+160 <= len(out); f += 160 {
			if r.Float64() < 0.05 {
				clear(out[f : f+160])
			}
		}
		return out, nil
	case "comfort":
		// Silent stretches replaced by comfort noise at about -65 dBFS.
		n := pinkNoise(r, len(s))
		g := 32768 * math.Pow(10, -65.0/20) / rmsF(n)
		out := make([]int16, len(s))
		for i, v := range s {
			out[i] = clip16(float64(v) + g*n[i])
		}
		return out, nil
	case "hum":
		out := make([]int16, len(s))
		f := 50.0
		if r.IntN(2) == 1 {
			f = 60
		}
		amp := 32768 * math.Pow(10, -40.0/20)
		for i, v := range s {
			t := float64(i) / rate
			h := math.Sin(2*math.Pi*f*t) + 0.3*math.Sin(2*math.Pi*3*f*t)
			out[i] = clip16(float64(v) + amp*h)
		}
		return out, nil
	}
	panic("unknown condition " + name)
}

var conditions = []string{"clean", "ulaw", "alaw", "gsm", "band", "white20", "white10", "pink20", "pink10",
	"quiet", "loud", "lost", "comfort", "hum"}
