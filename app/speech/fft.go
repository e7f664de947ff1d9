package speech

import "math"

// fft is an in-place radix-2 FFT over preallocated buffers, so per-frame analysis does not
// allocate.
type fft struct {
	re, im   []float64
	cos, sin []float64
	rev      []int
	window   []float64 // Hann window over the frame's samples
}

func newFFT(size, frameLen int) *fft {
	f := &fft{
		re:     make([]float64, size),
		im:     make([]float64, size),
		cos:    make([]float64, size/2),
		sin:    make([]float64, size/2),
		rev:    make([]int, size),
		window: make([]float64, frameLen),
	}
	bits := 0
	for 1<<bits < size {
		bits++
	}
	for i := range f.rev {
		r := 0
		for b := 0; b < bits; b++ {
			if i&(1<<b) != 0 {
				r |= 1 << (bits - 1 - b)
			}
		}
		f.rev[i] = r
	}
	for i := range f.cos {
		a := -2 * math.Pi * float64(i) / float64(size)
		f.cos[i], f.sin[i] = math.Cos(a), math.Sin(a)
	}
	for i := range f.window {
		f.window[i] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(frameLen-1))
	}
	return f
}

func (f *fft) transform() {
	n := len(f.re)
	for i, r := range f.rev {
		if i < r {
			f.re[i], f.re[r] = f.re[r], f.re[i]
			f.im[i], f.im[r] = f.im[r], f.im[i]
		}
	}
	for size := 2; size <= n; size <<= 1 {
		half := size / 2
		step := n / size
		for start := 0; start < n; start += size {
			for k := 0; k < half; k++ {
				wr, wi := f.cos[k*step], f.sin[k*step]
				a, b := start+k, start+k+half
				tr := wr*f.re[b] - wi*f.im[b]
				ti := wr*f.im[b] + wi*f.re[b]
				f.re[b], f.im[b] = f.re[a]-tr, f.im[a]-ti
				f.re[a] += tr
				f.im[a] += ti
			}
		}
	}
}
