package classifier

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/dsp/fourier"
)

func BenchmarkRealFFT512(b *testing.B) {
	f := newRealFFT(512)
	x := make([]float64, 512)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range x[:320] {
		x[i] = r.Float64()
	}
	re, im := make([]float64, 257), make([]float64, 257)
	for b.Loop() {
		f.transform(x, re, im)
	}
}

func BenchmarkGonumFFT512(b *testing.B) {
	f := fourier.NewFFT(512)
	x := make([]float64, 512)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range x[:320] {
		x[i] = r.Float64()
	}
	dst := make([]complex128, 257)
	for b.Loop() {
		f.Coefficients(dst, x)
	}
}
