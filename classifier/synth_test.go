package classifier

import (
	"math"
	"math/rand/v2"
)

// Test signal helpers (8 kHz unless stated).

func sine(freqs []float64, rate int, sec, dbfs float64, phase0 int) []int16 {
	n := int(sec * float64(rate))
	out := make([]int16, n)
	amp := 32768 * math.Pow(10, dbfs/20) * math.Sqrt2 / float64(len(freqs))
	for i := range out {
		t := float64(i+phase0) / float64(rate)
		var v float64
		for _, f := range freqs {
			v += math.Sin(2 * math.Pi * f * t)
		}
		out[i] = int16(math.Max(-32768, math.Min(32767, amp*v)))
	}
	return out
}

// cadence renders a tone with an on/off cadence for total seconds.
func cadence(freqs [][]float64, steps []float64, rate int, total, dbfs float64) []int16 {
	var out []int16
	n := int(total * float64(rate))
	for k := 0; len(out) < n; k++ {
		d := steps[k%len(steps)]
		if k%2 == 0 {
			out = append(out, sine(freqs[(k/2)%len(freqs)], rate, d, dbfs, len(out))...)
		} else {
			out = append(out, make([]int16, int(d*float64(rate)))...)
		}
	}
	return out[:n]
}

func noise(r *rand.Rand, n int, dbfs float64) []int16 {
	out := make([]int16, n)
	amp := 32768 * math.Pow(10, dbfs/20)
	for i := range out {
		out[i] = int16(math.Max(-32768, math.Min(32767, amp*r.NormFloat64())))
	}
	return out
}

func mixInto(a, b []int16) []int16 {
	out := make([]int16, len(a))
	for i := range a {
		v := float64(a[i])
		if i < len(b) {
			v += float64(b[i])
		}
		out[i] = int16(math.Max(-32768, math.Min(32767, v)))
	}
	return out
}

// run feeds s through a new pipeline in 20 ms frames and returns the results' labels.
func run(s []int16, rate int) (*Pipeline, []Result) {
	p, _ := NewPipeline(rate, Config{})
	n := rate / 50
	var rs []Result
	for i := 0; i+n <= len(s); i += n {
		r := p.Process(s[i : i+n])
		r.Detections = append([]Detection(nil), r.Detections...)
		rs = append(rs, r)
	}
	return p, rs
}
