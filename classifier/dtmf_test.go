package classifier

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// dtmfTone renders one digit with the given frequency error, twist and length.
func dtmfTone(d byte, rate int, sec, dbfs, freqErr, twistDB float64) []int16 {
	row, col := -1, -1
	for r := range dtmfDigits {
		for c := range dtmfDigits[r] {
			if dtmfDigits[r][c] == d {
				row, col = r, c
			}
		}
	}
	lo, hi := dtmfRows[row]*(1+freqErr), dtmfCols[col]*(1+freqErr)
	n := int(sec * float64(rate))
	out := make([]int16, n)
	amp := 32768 * math.Pow(10, dbfs/20)
	ghi := math.Pow(10, twistDB/20)
	for i := range out {
		t := float64(i) / float64(rate)
		out[i] = int16(amp * (math.Sin(2*math.Pi*lo*t) + ghi*math.Sin(2*math.Pi*hi*t)) / (1 + ghi))
	}
	return out
}

func digitsOf(rs []Result) string {
	var b strings.Builder
	var prev byte
	for _, r := range rs {
		d := byte(0)
		if r.Frame.Label == DTMF {
			d = r.Frame.Digit
		}
		if d != 0 && d != prev {
			b.WriteByte(d)
		}
		prev = d
	}
	return b.String()
}

func seqOf(digits string, rate int, on, off, dbfs, freqErr, twist float64) []int16 {
	s := make([]int16, int(0.2*float64(rate)))
	for i := 0; i < len(digits); i++ {
		s = append(s, dtmfTone(digits[i], rate, on, dbfs, freqErr, twist)...)
		s = append(s, make([]int16, int(off*float64(rate)))...)
	}
	return s
}

func TestDTMFAllDigits(t *testing.T) {
	const all = "123A456B789C*0#D"
	for _, rate := range []int{8000, 16000} {
		for _, db := range []float64{-30, -6} {
			_, rs := run(seqOf(all, rate, 0.07, 0.06, db, 0, 2), rate)
			if got := digitsOf(rs); got != all {
				t.Errorf("%d Hz %.0f dBFS: got %q want %q", rate, db, got, all)
			}
		}
	}
}

// TestDTMFQ24 checks the Q.24 tolerances: ±1.5 % accepted, ±3.5 % rejected,
// 40 ms accepted, 20 ms rejected, twist limits.
func TestDTMFQ24(t *testing.T) {
	cases := []struct {
		name    string
		freqErr float64
		on      float64
		twist   float64
		want    bool
	}{
		{"nominal", 0, 0.05, 0, true},
		{"+1.5%", 0.015, 0.05, 0, true},
		{"-1.5%", -0.015, 0.05, 0, true},
		{"+3.5%", 0.035, 0.05, 0, false},
		{"-3.5%", -0.035, 0.05, 0, false},
		{"40 ms", 0, 0.040, 0, true},
		{"20 ms", 0, 0.020, 0, false},
		{"high +4 dB", 0, 0.05, 4, true},
		{"low +4 dB", 0, 0.05, -3.5, true},
		{"high +10 dB", 0, 0.05, 10, false},
		{"low +8 dB", 0, 0.05, -8, false},
	}
	for _, c := range cases {
		for _, d := range "159#D" {
			_, rs := run(seqOf(string(d), 8000, c.on, 0.1, -12, c.freqErr, c.twist), 8000)
			got := digitsOf(rs) == string(d)
			if got != c.want {
				t.Errorf("%s digit %c: detected=%v want %v (got %q)", c.name, d, got, c.want, digitsOf(rs))
			}
		}
	}
}

func TestDTMFInNoiseAndNoTalkOff(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	s := seqOf("2580", 8000, 0.08, 0.08, -15, 0, 1)
	s = mixInto(s, noise(r, len(s), -35))
	if _, rs := run(s, 8000); digitsOf(rs) != "2580" {
		t.Errorf("20 dB SNR: got %q", digitsOf(rs))
	}
	// A single tone, a chord of three tones and noise are not digits.
	for i, x := range [][]int16{
		sine([]float64{697}, 8000, 1, -12, 0),
		sine([]float64{697, 1209, 1477}, 8000, 1, -12, 0),
		noise(r, 8000, -15),
	} {
		if _, rs := run(x, 8000); digitsOf(rs) != "" {
			t.Errorf("case %d: false digits %q", i, digitsOf(rs))
		}
	}
}

func ExampleDTMFDetector() {
	fe, d := NewFeatureExtractor(), NewDTMFDetector()
	s := dtmfTone('5', 8000, 0.1, -10, 0, 0)
	frame := make([]float64, 160)
	for i := 0; i+160 <= len(s); i += 160 {
		for j := range frame {
			frame[j] = float64(s[i+j])
		}
		ft := fe.Process(frame)
		if digit, _, started := d.Process(fe, ft.EnergyDB); started {
			fmt.Printf("digit %c\n", digit)
		}
	}
	// Output: digit 5
}
