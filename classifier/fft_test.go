package classifier

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestRealFFTMatchesDFT(t *testing.T) {
	const n = 64
	f := newRealFFT(n)
	x := make([]float64, n)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range x {
		x[i] = r.Float64()*2 - 1
	}
	re, im := make([]float64, n/2+1), make([]float64, n/2+1)
	f.transform(x, re, im)
	for k := 0; k <= n/2; k++ {
		var wr, wi float64
		for i, v := range x {
			a := -2 * math.Pi * float64(k*i) / n
			wr += v * math.Cos(a)
			wi += v * math.Sin(a)
		}
		if math.Abs(wr-re[k]) > 1e-9 || math.Abs(wi-im[k]) > 1e-9 {
			t.Fatalf("bin %d: got %v%+vi want %v%+vi", k, re[k], im[k], wr, wi)
		}
	}
}
