package classifier

import (
	"math"
	"math/rand/v2"
	"testing"
)

// refDecimator is the per-sample decimator the block one replaced, kept as
// the reference: each sample is pushed into a history stored twice, and
// every second push yields the windowed-sinc sum over the last decTaps samples.
type refDecimator struct {
	h     [decTaps/2 + 1]float64
	hist  [2 * decTaps]float64
	pos   int
	phase int
}

func newRefDecimator() refDecimator { return refDecimator{h: newDecimator().h} }

func (d *refDecimator) push(x float64) (float64, bool) {
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
	w := d.hist[d.pos : d.pos+decTaps]
	acc := d.h[decTaps/2] * w[decTaps/2]
	for i := 0; i < decTaps/2; i++ {
		acc += d.h[i] * (w[i] + w[decTaps-1-i])
	}
	return acc, true
}

// refHighPass steps one biquad section one sample at a time, as the pipeline did.
func refHighPass(b *biquad, x float64) float64 {
	y := b.b0*x + b.b1*b.x1 + b.b2*b.x2 - b.a1*b.y1 - b.a2*b.y2
	b.x2, b.x1, b.y2, b.y1 = b.x1, x, b.y1, y
	return y
}

func randomInt16(r *rand.Rand, n int) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(r.IntN(65536) - 32768)
	}
	return s
}

// chunkSizes are the input splits tried: single samples, odd sizes that cut
// decimator pairs and frames anywhere, exact frames and several frames at once.
var chunkSizes = []int{1, 2, 3, 7, 31, 159, 160, 161, 319, 320, 321, 333, 641, 4000}

func TestBlockDecimatorMatchesPerSample(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, total := range []int{1, 2, 31, 320, 1001, 6400} {
		in := randomInt16(r, total)
		ref := newRefDecimator()
		var want []float64
		for _, s := range in {
			if v, ok := ref.push(float64(s)); ok {
				want = append(want, v)
			}
		}
		for _, chunk := range chunkSizes {
			d := newDecimator()
			var got []float64
			out := make([]float64, frameLen)
			for rest := in; len(rest) > 0; {
				// Like Process: never more input than fills one frame of output.
				n := min(len(rest), chunk, d.inputFor(frameLen))
				k := d.run(rest[:n], out)
				got = append(got, out[:k]...)
				rest = rest[n:]
			}
			if len(got) != len(want) {
				t.Fatalf("%d samples in chunks of %d: %d outputs, want %d", total, chunk, len(got), len(want))
			}
			for i := range want {
				if math.Abs(got[i]-want[i]) > 1e-9 {
					t.Fatalf("%d samples in chunks of %d: output %d = %v, want %v", total, chunk, i, got[i], want[i])
				}
			}
		}
	}
}

func TestBlockHighPassMatchesPerSample(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	in := randomInt16(r, 1000)
	ref := newHighPass(hpCutoffHz, analysisRate)
	blk := ref
	for i := 0; i < len(in); {
		n := min(len(in)-i, 1+i%37)
		x := make([]float64, n)
		for j := range x {
			x[j] = float64(in[i+j])
		}
		blk.run(x)
		for j := range x {
			if want := refHighPass(&ref.s2, refHighPass(&ref.s1, float64(in[i+j]))); math.Abs(x[j]-want) > 1e-9 {
				t.Fatalf("sample %d: %v, want %v", i+j, x[j], want)
			}
		}
		i += n
	}
}

// TestHighPassResponse pins what the input filter is for: mains hum and its
// third harmonic well down, the telephone band and the call-progress tones
// (350 Hz upwards) kept.
func TestHighPassResponse(t *testing.T) {
	gain := func(hz float64) float64 {
		h := newHighPass(hpCutoffHz, analysisRate)
		x := make([]float64, analysisRate)
		for i := range x {
			x[i] = math.Sin(2 * math.Pi * hz * float64(i) / analysisRate)
		}
		h.run(x)
		var e float64
		for _, v := range x[analysisRate/2:] { // past the transient
			e += v * v
		}
		return 10 * math.Log10(e/float64(len(x)/2)/0.5)
	}
	for _, c := range []struct {
		hz, lo, hi float64
	}{
		{50, -100, -40}, {60, -100, -35}, {150, -100, -15}, {180, -100, -10},
		{300, -1.2, 0}, {350, -0.5, 0.05}, {440, -0.1, 0.05}, {1000, -0.05, 0.05}, {3400, -0.05, 0.05},
	} {
		if g := gain(c.hz); g < c.lo || g > c.hi {
			t.Errorf("%.0f Hz: gain %.2f dB, want %.2f..%.2f", c.hz, g, c.lo, c.hi)
		}
	}
}

// TestPipelineConditioningAnySplit feeds the same audio to a pipeline in
// chunks of many sizes and checks every analysed 8 kHz frame against the
// per-sample reference chain (decimator at 16 kHz, then the high-pass), so the
// state carried across Process calls is covered at both rates.
func TestPipelineConditioningAnySplit(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, rate := range []int{8000, 16000} {
		in := randomInt16(r, rate/50*23+17)
		ref := newRefDecimator()
		hp := newHighPass(hpCutoffHz, analysisRate)
		var want []float64
		for _, s := range in {
			v := float64(s)
			if rate == 16000 {
				var ok bool
				if v, ok = ref.push(v); !ok {
					continue
				}
			}
			want = append(want, refHighPass(&hp.s2, refHighPass(&hp.s1, v)))
		}
		for _, chunk := range chunkSizes {
			p := mustPipeline(t, rate)
			for i := 0; i < len(in); i += chunk {
				before := p.frameNo
				p.Process(in[i:min(i+chunk, len(in))])
				if p.frameNo == before {
					continue
				}
				// The extractor's buffer ends with the last analysed frame.
				f := int(p.frameNo - 1)
				got := p.fe.buf[frameLen:]
				for j := range got {
					if w := want[f*frameLen+j]; math.Abs(got[j]-w) > 1e-9 {
						t.Fatalf("%d Hz, chunks of %d: frame %d sample %d = %v, want %v", rate, chunk, f, j, got[j], w)
					}
				}
			}
			if wantFrames := int64(len(want) / frameLen); p.frameNo != wantFrames {
				t.Errorf("%d Hz, chunks of %d: %d frames, want %d", rate, chunk, p.frameNo, wantFrames)
			}
		}
	}
}

// BenchmarkDecimatorFrame is the 16 kHz input stage alone, one 20 ms frame per op.
func BenchmarkDecimatorFrame(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	in := randomInt16(r, decBlock)
	d := newDecimator()
	out := make([]float64, frameLen)
	for b.Loop() {
		d.run(in, out)
	}
}

// BenchmarkRefDecimatorFrame is the per-sample decimator it replaced, for comparison.
func BenchmarkRefDecimatorFrame(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	in := randomInt16(r, decBlock)
	d := newRefDecimator()
	out := make([]float64, frameLen)
	for b.Loop() {
		k := 0
		for _, s := range in {
			if v, ok := d.push(float64(s)); ok {
				out[k] = v
				k++
			}
		}
	}
}

// The decimator's promise (see decimator): the telephone band passes flat,
// and what would fold into it from above 4.6 kHz is at least 30 dB down.
func TestDecimatorResponse(t *testing.T) {
	d := newDecimator()
	var full [decTaps]float64
	for i := range d.h {
		full[i], full[decTaps-1-i] = d.h[i], d.h[i]
	}
	gain := func(hz float64) float64 {
		var re, im float64
		for i, v := range full {
			w := 2 * math.Pi * hz / 16000 * float64(i)
			re += v * math.Cos(w)
			im -= v * math.Sin(w)
		}
		return 10 * math.Log10(re*re+im*im)
	}
	for hz := 100.0; hz <= 3400; hz += 100 {
		if g := gain(hz); g < -0.5 || g > 0.1 {
			t.Errorf("%.0f Hz: %.2f dB, want within 0.5 dB of unity", hz, g)
		}
	}
	for hz := 4600.0; hz <= 8000; hz += 50 {
		if g := gain(hz); g > -30 {
			t.Errorf("%.0f Hz: %.1f dB, want at least 30 dB down (it folds to %.0f Hz)", hz, g, 8000-hz)
		}
	}
}
