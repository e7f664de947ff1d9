package classifier

import (
	"math"
	"math/rand/v2"
	"testing"
)

// hum renders mains hum as the corpus does (fundamental plus 0.3 of the third
// harmonic) at dbfs, over white noise at -70 dBFS, 8 kHz.
func hum(mains float64, sec, dbfs float64, r *rand.Rand) []float64 {
	n := int(sec * analysisRate)
	out := make([]float64, n)
	amp := fullScale * math.Pow(10, dbfs/20)
	for i := range out {
		t := float64(i) / analysisRate
		out[i] = amp*(math.Sin(2*math.Pi*mains*t)+0.3*math.Sin(2*math.Pi*3*mains*t)) +
			fullScale*math.Pow(10, -70.0/20)*r.NormFloat64()
	}
	return out
}

// A humming line with nothing on it must not look periodic once the hum
// has been heard for the noise window: before the hum was taken out of the
// pitch input every such frame had a harmonicity near 1, which the model
// read as a held note under any voice.
func TestHumAloneHasNoPitch(t *testing.T) {
	for _, mains := range []float64{50, 60} {
		r := rand.New(rand.NewPCG(1, uint64(mains)))
		s := hum(mains, 5, -40, r)
		fe := NewFeatureExtractor()
		var worst float64
		for i, f := 0, 0; i+frameLen <= len(s); i, f = i+frameLen, f+1 {
			ft := fe.Process(s[i : i+frameLen])
			if f >= 4*noiseBlockFrames { // the whole noise window has heard the hum
				worst = max(worst, ft.Harmonicity)
				if ft.Pitch != 0 {
					t.Fatalf("%v Hz hum, frame %d: pitch %.1f Hz, want none", mains, f, ft.Pitch)
				}
			}
		}
		if worst > 0.3 {
			t.Errorf("%v Hz hum: harmonicity up to %.2f, want at most 0.3", mains, worst)
		}
	}
}

// A voice on a humming line reads as it does on a quiet one: the hum is
// taken out below 250 Hz only, and the voice's harmonics above carry its
// period. With the hum left in, its periodicity moved the voice's
// harmonicity by up to 0.046; now by under 0.005.
func TestVoiceOverHumKeepsPitch(t *testing.T) {
	const f0 = 140.0
	voiced := func(humDB float64) []Features {
		s := hum(60, 5, humDB, rand.New(rand.NewPCG(2, 2)))
		amp := fullScale * math.Pow(10, -26.0/20)
		for i := 4 * analysisRate; i < len(s); i++ {
			tm := float64(i) / analysisRate
			for h := 1.0; h*f0 < 3000; h++ {
				s[i] += amp / h * math.Sin(2*math.Pi*h*f0*tm)
			}
		}
		fe := NewFeatureExtractor()
		var fts []Features
		for i, f := 0, 0; i+frameLen <= len(s); i, f = i+frameLen, f+1 {
			ft := fe.Process(s[i : i+frameLen])
			if f >= 4*50+2 { // the voice starts at 4 s; its first window is half hum
				fts = append(fts, ft)
			}
		}
		return fts
	}
	quiet, humming := voiced(-200), voiced(-40)
	if len(humming) < 40 {
		t.Fatalf("only %d voiced frames", len(humming))
	}
	// A synthetic voice is perfectly periodic, so twice its period
	// correlates as well as once and the picker may take either, with or
	// without the hum; what the hum must not do is pull the period off
	// the voice's.
	for i, ft := range humming {
		q := quiet[i]
		if q.Pitch == 0 || ft.Pitch == 0 || ft.Harmonicity < 0.8 || math.Abs(ft.Harmonicity-q.Harmonicity) > 0.01 {
			t.Fatalf("frame %d: pitch %.1f Hz harmonicity %.2f over hum, %.1f Hz %.2f without", i, ft.Pitch, ft.Harmonicity, q.Pitch, q.Harmonicity)
		}
		if k := max(q.Pitch, ft.Pitch) / min(q.Pitch, ft.Pitch); math.Abs(k-math.Round(k)) > 0.03*k {
			t.Fatalf("frame %d: pitch %.1f Hz over hum, %.1f Hz without: not a whole number of the voice's periods", i, ft.Pitch, q.Pitch)
		}
	}
}
