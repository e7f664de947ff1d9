package classifier

import "math"

// realFFT computes the spectrum of n real samples (n a power of two, >= 8)
// with a complex FFT of n/2 points. Everything is preallocated once, so
// transforms never allocate; the butterflies read per-stage twiddle tables
// in order and work on equal-length subslices so the compiler can drop most
// bounds checks (this transform is the largest cost of a frame).
type realFFT struct {
	n, h     int
	re, im   []float64 // n/2 work buffers
	twr, twi []float64 // twiddles of the stage with half-size m at [m, 2m)
	wr, wi   []float64 // e^{-j 2 pi k / n}, k <= n/2, for the split step
	rev      []int     // bit reversal of n/2 indices
}

func newRealFFT(n int) *realFFT {
	h := n / 2
	f := &realFFT{n: n, h: h, re: make([]float64, h), im: make([]float64, h),
		twr: make([]float64, h), twi: make([]float64, h),
		wr: make([]float64, h+1), wi: make([]float64, h+1), rev: make([]int, h)}
	for m := 1; m < h; m <<= 1 {
		for k := 0; k < m; k++ {
			a := -math.Pi * float64(k) / float64(m)
			f.twr[m+k], f.twi[m+k] = math.Cos(a), math.Sin(a)
		}
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
	f.half(x)
	h := f.h
	re, im := f.re[:h], f.im[:h]
	// Split the half-size transform into the real transform.
	outRe, outIm = outRe[:h+1], outIm[:h+1]
	wr, wi := f.wr[:h+1], f.wi[:h+1]
	outRe[0], outIm[0] = re[0]+im[0], 0
	outRe[h], outIm[h] = re[0]-im[0], 0
	for k := 1; k < h; k++ {
		zr, zi := re[k], im[k]
		cr, ci := re[h-k], -im[h-k]        // conj(Z[h-k])
		er, ei := (zr+cr)*0.5, (zi+ci)*0.5 // even part
		or, oi := (zi-ci)*0.5, (cr-zr)*0.5 // odd part: (Z - conj)/(2j)
		outRe[k] = er + wr[k]*or - wi[k]*oi
		outIm[k] = ei + wr[k]*oi + wi[k]*or
	}
}

// power writes the power |X_k|^2 of bins 0..n/2 of the DFT of x (len n)
// into out (len n/2+1); bins k and n/2-k share their inputs and are done together.
func (f *realFFT) power(x, out []float64) {
	f.half(x)
	h := f.h
	re, im := f.re[:h], f.im[:h]
	out = out[:h+1]
	wr, wi := f.wr[:h+1], f.wi[:h+1]
	a, b := re[0]+im[0], re[0]-im[0]
	out[0], out[h] = a*a, b*b
	for k := 1; 2*k <= h; k++ {
		zr, zi := re[k], im[k]
		cr, ci := re[h-k], -im[h-k]
		er, ei := (zr+cr)*0.5, (zi+ci)*0.5
		or, oi := (zi-ci)*0.5, (cr-zr)*0.5
		// bin k: E + W^k O
		xr := er + wr[k]*or - wi[k]*oi
		xi := ei + wr[k]*oi + wi[k]*or
		out[k] = xr*xr + xi*xi
		// bin h-k: E' = conj(E), O' = conj(O) and W^(h-k) = -conj(W^k),
		// so X[h-k] = conj(E - W^k O); the sign of the imaginary part is moot.
		xr = er - wr[k]*or + wi[k]*oi
		xi = -ei + wr[k]*oi + wi[k]*or
		out[h-k] = xr*xr + xi*xi
	}
}

// half runs the n/2-point complex FFT of z[i] = x[2i] + j x[2i+1] into f.re, f.im.
func (f *realFFT) half(x []float64) {
	h := f.h
	re, im, rev := f.re[:h], f.im[:h], f.rev[:h]
	x = x[:2*h]
	// Bit-reversed load of z[i] = x[2i] + j x[2i+1], fused with the first
	// two stages (twiddles 1 and -j), one pass over memory instead of two.
	// For j a multiple of 4, rev[j+1] = rev[j] + h/2, rev[j+2] = rev[j] + h/4
	// and rev[j+3] = rev[j] + 3h/4; the additions are those of the two
	// stages done one after the other.
	for j := 0; j+3 < h; j += 4 {
		r := 2 * rev[j]
		ar, ai := x[r], x[r+1]
		br, bi := x[r+h], x[r+h+1]
		cr, ci := x[r+h/2], x[r+h/2+1]
		dr, di := x[r+3*h/2], x[r+3*h/2+1]
		// first stage
		e0r, e0i, e1r, e1i := ar+br, ai+bi, ar-br, ai-bi
		e2r, e2i, e3r, e3i := cr+dr, ci+di, cr-dr, ci-di
		// second stage; (e3r + j e3i) * (-j) = e3i - j e3r
		re[j], im[j], re[j+2], im[j+2] = e0r+e2r, e0i+e2i, e0r-e2r, e0i-e2i
		re[j+1], im[j+1], re[j+3], im[j+3] = e1r+e3i, e1i-e3r, e1r-e3i, e1i+e3r
	}
	// Remaining stages, two at a time (radix 2^2): for each k the stage of
	// half-size m combines (a0,a1) and (a2,a3) with W_2m^k, then the stage of
	// half-size 2m combines (b0,b2) with W_4m^k and (b1,b3) with W_4m^(k+m) =
	// -j W_4m^k. Half the passes over memory of plain radix 2.
	m := 4
	for ; 4*m <= h; m <<= 2 {
		if h/(4*m) > m {
			// Many short groups (the first of these stages): the same
			// butterflies with the twiddle loop outside, so the twiddles
			// are loaded once and no group pays for setting up its slices.
			f.stage4Strided(m)
			continue
		}
		t1r, t1i := f.twr[m:2*m], f.twi[m:2*m]
		t2r, t2i := f.twr[2*m:3*m], f.twi[2*m:3*m]
		for s := 0; s < h; s += 4 * m {
			r0, i0 := re[s:s+m], im[s:s+m]
			r1, i1 := re[s+m:s+2*m], im[s+m:s+2*m]
			r2, i2 := re[s+2*m:s+3*m], im[s+2*m:s+3*m]
			r3, i3 := re[s+3*m:s+4*m], im[s+3*m:s+4*m]
			n := len(r0)
			i0, r1, i1, r2, i2, r3, i3 = i0[:n], r1[:n], i1[:n], r2[:n], i2[:n], r3[:n], i3[:n]
			t1r, t1i, t2r, t2i := t1r[:n], t1i[:n], t2r[:n], t2i[:n]
			for k := 0; k < n; k++ {
				c1, s1, c2, s2 := t1r[k], t1i[k], t2r[k], t2i[k]
				// first stage
				pr := r1[k]*c1 - i1[k]*s1
				pi := r1[k]*s1 + i1[k]*c1
				b0r, b0i := r0[k]+pr, i0[k]+pi
				b1r, b1i := r0[k]-pr, i0[k]-pi
				pr = r3[k]*c1 - i3[k]*s1
				pi = r3[k]*s1 + i3[k]*c1
				b2r, b2i := r2[k]+pr, i2[k]+pi
				b3r, b3i := r2[k]-pr, i2[k]-pi
				// second stage
				pr = b2r*c2 - b2i*s2
				pi = b2r*s2 + b2i*c2
				r0[k], i0[k] = b0r+pr, b0i+pi
				r2[k], i2[k] = b0r-pr, b0i-pi
				qr := b3r*c2 - b3i*s2
				qi := b3r*s2 + b3i*c2
				// times -j: (qr + j qi)(-j) = qi - j qr
				r1[k], i1[k] = b1r+qi, b1i-qr
				r3[k], i3[k] = b1r-qi, b1i+qr
			}
		}
	}
	// A last single radix-2 stage when the stage count is odd.
	for ; m < h; m <<= 1 {
		tr, ti := f.twr[m:2*m], f.twi[m:2*m]
		for s := 0; s < h; s += 2 * m {
			ar, ai := re[s:s+m], im[s:s+m]
			br, bi := re[s+m:s+2*m], im[s+m:s+2*m]
			ai, br, bi = ai[:len(ar)], br[:len(ar)], bi[:len(ar)]
			tr, ti := tr[:len(ar)], ti[:len(ar)]
			for k := range ar {
				c, sn := tr[k], ti[k]
				pr := br[k]*c - bi[k]*sn
				pi := br[k]*sn + bi[k]*c
				br[k], bi[k] = ar[k]-pr, ai[k]-pi
				ar[k] += pr
				ai[k] += pi
			}
		}
	}
}

// stage4Strided is one radix-2^2 step of half: the butterflies of the
// stages of half-size m and 2m, ordered by twiddle rather than by group.
// The arithmetic of each butterfly is exactly that of the loop in half.
func (f *realFFT) stage4Strided(m int) {
	re, im := f.re[:f.h], f.im[:f.h]
	im = im[:len(re)]
	for k := 0; k < m; k++ {
		c1, s1, c2, s2 := f.twr[m+k], f.twi[m+k], f.twr[2*m+k], f.twi[2*m+k]
		for s := k; s+3*m < len(re); s += 4 * m {
			i1, i2, i3 := s+m, s+2*m, s+3*m
			// first stage
			pr := re[i1]*c1 - im[i1]*s1
			pi := re[i1]*s1 + im[i1]*c1
			b0r, b0i := re[s]+pr, im[s]+pi
			b1r, b1i := re[s]-pr, im[s]-pi
			pr = re[i3]*c1 - im[i3]*s1
			pi = re[i3]*s1 + im[i3]*c1
			b2r, b2i := re[i2]+pr, im[i2]+pi
			b3r, b3i := re[i2]-pr, im[i2]-pi
			// second stage
			pr = b2r*c2 - b2i*s2
			pi = b2r*s2 + b2i*c2
			re[s], im[s] = b0r+pr, b0i+pi
			re[i2], im[i2] = b0r-pr, b0i-pi
			qr := b3r*c2 - b3i*s2
			qi := b3r*s2 + b3i*c2
			// times -j: (qr + j qi)(-j) = qi - j qr
			re[i1], im[i1] = b1r+qi, b1i-qr
			re[i3], im[i3] = b1r-qi, b1i+qr
		}
	}
}

// evenDFT computes the DFT of a real, even sequence of length 2m given by
// its first m+1 values (a DCT-I), with one real FFT of m points instead of
// 2m: the autocorrelation is the transform of the power spectrum, and this
// halves its cost.
type evenDFT struct {
	m        int
	fft      *realFFT
	sin, cos []float64 // sin and cos of pi j / m
	y        []float64
	re, im   []float64
}

func newEvenDFT(m int) *evenDFT {
	e := &evenDFT{m: m, fft: newRealFFT(m), sin: make([]float64, m), cos: make([]float64, m),
		y: make([]float64, m), re: make([]float64, m/2+1), im: make([]float64, m/2+1)}
	for j := range e.sin {
		e.sin[j], e.cos[j] = math.Sin(math.Pi*float64(j)/float64(m)), math.Cos(math.Pi*float64(j)/float64(m))
	}
	return e
}

// transform writes X[l] = f[0] + (-1)^l f[m] + 2 sum_{j=1}^{m-1} f[j] cos(pi j l / m),
// l = 0..m, into out (the DFT of the even extension of f to 2m points).
func (e *evenDFT) transform(f, out []float64) {
	m := e.m
	f, out = f[:m+1], out[:m+1]
	y, sn, cs := e.y[:m], e.sin[:m], e.cos[:m]
	// Auxiliary sequence whose m-point transform gives the even outputs in
	// its real part and the steps between odd outputs in its imaginary part.
	y[0] = 0.5 * (f[0] + f[m])
	odd1 := 0.5 * (f[0] - f[m])
	for j := 1; j < m; j++ {
		a, b := f[j], f[m-j]
		y[j] = 0.5*(a+b) - sn[j]*(a-b)
		odd1 += a * cs[j]
	}
	e.fft.transform(y, e.re, e.im)
	re, im := e.re[:m/2+1], e.im[:m/2+1]
	out[0] = 2 * re[0]
	// The odd outputs are a running sum; it is carried in a register (read
	// back from out, each step would also wait on a store-to-load forward).
	o := 2 * odd1
	out[1] = o
	for k := 1; k < m/2; k++ {
		o -= 2 * im[k]
		out[2*k], out[2*k+1] = 2*re[k], o
	}
	out[m] = 2 * re[m/2]
}

// PowerSpectrum is the classifier's real FFT offered to other frame analysers (the speech
// VAD), so the project keeps one tuned, allocation-free transform.
type PowerSpectrum struct{ f *realFFT }

// NewPowerSpectrum prepares transforms of n real samples; n must be a power of two >= 8.
func NewPowerSpectrum(n int) *PowerSpectrum { return &PowerSpectrum{f: newRealFFT(n)} }

// Power writes |X_k|^2 for bins 0..n/2 of the DFT of x (len n) into out (len n/2+1).
func (p *PowerSpectrum) Power(x, out []float64) { p.f.power(x, out) }
