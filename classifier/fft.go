package classifier

import "math"

// realFFT computes the spectrum of n real samples (n a power of two) with a
// complex FFT of n/2 points, preallocated once so transforms never allocate.
type realFFT struct {
	n          int
	re, im     []float64 // n/2 work buffers
	cosT, sinT []float64 // twiddles for the n/2 FFT
	wr, wi     []float64 // e^{-j 2 pi k / n}, k < n/2, for the split step
	rev        []int
}

func newRealFFT(n int) *realFFT {
	h := n / 2
	f := &realFFT{n: n, re: make([]float64, h), im: make([]float64, h),
		cosT: make([]float64, h/2), sinT: make([]float64, h/2),
		wr: make([]float64, h+1), wi: make([]float64, h+1), rev: make([]int, h)}
	for i := range f.cosT {
		a := -2 * math.Pi * float64(i) / float64(h)
		f.cosT[i], f.sinT[i] = math.Cos(a), math.Sin(a)
	}
	for k := 0; k <= h; k++ {
		a := -2 * math.Pi * float64(k) / float64(n)
		f.wr[k], f.wi[k] = math.Cos(a), math.Sin(a)
	}
	bits := 0
	for 1<<bits < h {
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
	return f
}

// transform writes bins 0..n/2 of the DFT of x (len n) into outRe/outIm (len n/2+1).
func (f *realFFT) transform(x, outRe, outIm []float64) {
	h := f.n / 2
	for i := 0; i < h; i++ {
		j := f.rev[i]
		f.re[j], f.im[j] = x[2*i], x[2*i+1]
	}
	for size := 2; size <= h; size <<= 1 {
		half := size / 2
		step := h / size
		for start := 0; start < h; start += size {
			for k := 0; k < half; k++ {
				c, s := f.cosT[k*step], f.sinT[k*step]
				a, b := start+k, start+k+half
				tr := f.re[b]*c - f.im[b]*s
				ti := f.re[b]*s + f.im[b]*c
				f.re[b], f.im[b] = f.re[a]-tr, f.im[a]-ti
				f.re[a] += tr
				f.im[a] += ti
			}
		}
	}
	for k := 0; k <= h; k++ {
		zr, zi := f.re[k%h], f.im[k%h]
		cr, ci := f.re[(h-k)%h], -f.im[(h-k)%h] // conj(Z[h-k])
		er, ei := (zr+cr)/2, (zi+ci)/2          // even part
		orr, oi := (zi-ci)/2, -(zr-cr)/2        // odd part: (Z - conj)/(2j)
		outRe[k] = er + f.wr[k]*orr - f.wi[k]*oi
		outIm[k] = ei + f.wr[k]*oi + f.wi[k]*orr
	}
}
