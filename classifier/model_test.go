package classifier

import (
	"math"
	"testing"
)

// The served ensemble was trained with math.Tanh; tanh must stay close
// enough that no probability moves (eval output is identical with either).
func TestTanhCloseToMath(t *testing.T) {
	for i := -200000; i <= 200000; i++ {
		x := float64(i) / 10000 // -20..20
		got, want := tanh(x), math.Tanh(x)
		tol := 1e-4
		if math.Abs(x) <= 3 {
			tol = 1e-6
		}
		if math.Abs(got-want) > tol || got < -1 || got > 1 {
			t.Fatalf("tanh(%v) = %v, math.Tanh %v", x, got, want)
		}
	}
	if tanh(1e6) != 1 || tanh(-1e6) != -1 {
		t.Fatalf("tanh does not saturate: %v %v", tanh(1e6), tanh(-1e6))
	}
}
