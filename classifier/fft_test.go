package classifier

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestRealFFTMatchesDFT(t *testing.T) {
	for _, n := range []int{8, 16, 32, 64, 128, 512} {
		f := newRealFFT(n)
		x := make([]float64, n)
		r := rand.New(rand.NewPCG(1, uint64(n)))
		for i := range x {
			x[i] = r.Float64()*2 - 1
		}
		re, im := make([]float64, n/2+1), make([]float64, n/2+1)
		f.transform(x, re, im)
		for k := 0; k <= n/2; k++ {
			var wr, wi float64
			for i, v := range x {
				a := -2 * math.Pi * float64(k*i%n) / float64(n)
				wr += v * math.Cos(a)
				wi += v * math.Sin(a)
			}
			if math.Abs(wr-re[k]) > 1e-9 || math.Abs(wi-im[k]) > 1e-9 {
				t.Fatalf("n=%d bin %d: got %v%+vi want %v%+vi", n, k, re[k], im[k], wr, wi)
			}
		}
	}
}

func TestEvenDFTMatchesRealFFT(t *testing.T) {
	const m = 256
	e := newEvenDFT(m)
	full := newRealFFT(2 * m)
	r := rand.New(rand.NewPCG(3, 4))
	f := make([]float64, m+1)
	for i := range f {
		f[i] = r.Float64() * 1e6
	}
	x := make([]float64, 2*m)
	for k := 0; k <= m; k++ {
		x[k] = f[k]
	}
	for k := m + 1; k < 2*m; k++ {
		x[k] = f[2*m-k]
	}
	re, im := make([]float64, m+1), make([]float64, m+1)
	full.transform(x, re, im)
	got := make([]float64, m+1)
	e.transform(f, got)
	for l := range got {
		if math.Abs(got[l]-re[l]) > 1e-6*math.Abs(re[0]) {
			t.Fatalf("l=%d: got %v want %v", l, got[l], re[l])
		}
	}
}

func TestRealFFTPower(t *testing.T) {
	for _, n := range []int{8, 64, 512} {
		f := newRealFFT(n)
		x := make([]float64, n)
		r := rand.New(rand.NewPCG(5, uint64(n)))
		for i := range x {
			x[i] = r.Float64()*2 - 1
		}
		re, im, p := make([]float64, n/2+1), make([]float64, n/2+1), make([]float64, n/2+1)
		f.transform(x, re, im)
		f.power(x, p)
		for k := range p {
			if want := re[k]*re[k] + im[k]*im[k]; math.Abs(p[k]-want) > 1e-9*(1+want) {
				t.Fatalf("n=%d bin %d: power %v want %v", n, k, p[k], want)
			}
		}
	}
}
