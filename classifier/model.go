package classifier

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// Classes of the context model. SpeechOverMusic is reported as Speech with
// FrameResult.MusicUnder set; Noise is reported as Unknown.
const (
	ClassSilence = iota
	ClassMusic
	ClassSpeech
	ClassNoise
	ClassSpeechOverMusic
	NumClasses
)

// ClassNames names the model classes, as the corpus labels spell them.
var ClassNames = [NumClasses]string{"silence", "music", "speech", "unknown", "speech_over_music"}

// modelHidden is the width of the model's hidden layer (a multiple of 4:
// forward computes four units at a time).
const modelHidden = 24

// A width that is not a multiple of 4 makes this array length negative and
// the package fail to compile, rather than forward skip the last units.
var _ [-(modelHidden % 4)]struct{}

// ModelParams are the weights of a small two-layer network over the
// standardised context vector. The shipped weights are in model_weights.go,
// produced by `go run ./classifier/cmd/eval -train` from the training split
// of the corpus.
type ModelParams struct {
	Mean, Std [NumContextFeatures]float64
	W1        [modelHidden][NumContextFeatures]float64
	B1        [modelHidden]float64
	W2        [NumClasses][modelHidden]float64
	B2        [NumClasses]float64
}

// Predict writes class probabilities for the context vector v into out.
func (m *ModelParams) Predict(v []float64, out *[NumClasses]float64) {
	var x [NumContextFeatures]float64
	m.standardize(v, &x)
	var h [modelHidden]float64
	m.forward(&x, &h, out)
}

// standardize scales v by the training mean and deviation into x.
func (m *ModelParams) standardize(v []float64, x *[NumContextFeatures]float64) {
	for i := range x {
		s := m.Std[i]
		if s == 0 {
			s = 1
		}
		x[i] = (v[i] - m.Mean[i]) / s
		if x[i] > 8 { // keep far-out inputs from saturating everything
			x[i] = 8
		} else if x[i] < -8 {
			x[i] = -8
		}
	}
}

// tanh is the hidden units' activation: Lambert's continued fraction for
// tanh cut after seven terms (a 7/6 rational function), clamped to ±1. It is
// within 1e-4 of math.Tanh everywhere (1e-6 for |x| <= 3) and, with no
// exponential, a fifth of its cost: math.Tanh was 15 % of a 16 kHz frame.
func tanh(x float64) float64 {
	x2 := x * x
	r := x * (135135 + x2*(17325+x2*(378+x2))) / (135135 + x2*(62370+x2*(3150+28*x2)))
	return max(-1, min(1, r))
}

func (m *ModelParams) forward(x *[NumContextFeatures]float64, h *[modelHidden]float64, out *[NumClasses]float64) {
	// Four hidden units per pass over x: independent sums the CPU overlaps
	// (one at a time, each waits on its own chain of additions), each added
	// in the same order as before.
	for j := 0; j+3 < modelHidden; j += 4 {
		a0, a1, a2, a3 := m.B1[j], m.B1[j+1], m.B1[j+2], m.B1[j+3]
		w0, w1, w2, w3 := &m.W1[j], &m.W1[j+1], &m.W1[j+2], &m.W1[j+3]
		for i, xv := range x {
			a0 += w0[i] * xv
			a1 += w1[i] * xv
			a2 += w2[i] * xv
			a3 += w3[i] * xv
		}
		h[j], h[j+1], h[j+2], h[j+3] = tanh(a0), tanh(a1), tanh(a2), tanh(a3)
	}
	maxZ := math.Inf(-1)
	for k := range out {
		z := m.B2[k]
		for j, hv := range h {
			z += m.W2[k][j] * hv
		}
		out[k] = z
		maxZ = max(maxZ, z)
	}
	var sum float64
	for k := range out {
		out[k] = math.Exp(out[k] - maxZ)
		sum += out[k]
	}
	for k := range out {
		out[k] /= sum
	}
}

// TrainOptions control TrainModel.
type TrainOptions struct {
	Epochs int     // passes over the data (default 60)
	Rate   float64 // learning rate (default 0.02)
	L2     float64 // weight decay (default 1e-4)
	Seed   uint64
}

// TrainModel fits ModelParams to context vectors xs with class labels ys by
// stochastic gradient descent on the cross-entropy, with classes weighted
// equally. It is deterministic for a given seed.
func TrainModel(xs [][]float64, ys []int, o TrainOptions) *ModelParams {
	if o.Epochs == 0 {
		o.Epochs = 60
	}
	if o.Rate == 0 {
		o.Rate = 0.02
	}
	if o.L2 == 0 {
		o.L2 = 1e-4
	}
	m := &ModelParams{}
	n := float64(len(xs))
	for _, x := range xs {
		for i := range m.Mean {
			m.Mean[i] += x[i] / n
		}
	}
	for _, x := range xs {
		for i := range m.Std {
			d := x[i] - m.Mean[i]
			m.Std[i] += d * d / n
		}
	}
	for i := range m.Std {
		m.Std[i] = math.Sqrt(m.Std[i])
		if m.Std[i] < 1e-9 {
			m.Std[i] = 1
		}
	}
	r := rand.New(rand.NewPCG(o.Seed, 7))
	for j := range m.W1 {
		for i := range m.W1[j] {
			m.W1[j][i] = r.NormFloat64() / math.Sqrt(NumContextFeatures)
		}
	}
	for k := range m.W2 {
		for j := range m.W2[k] {
			m.W2[k][j] = r.NormFloat64() / math.Sqrt(modelHidden)
		}
	}
	var count [NumClasses]float64
	for _, y := range ys {
		count[y]++
	}
	var cw [NumClasses]float64
	for k := range cw {
		if count[k] > 0 {
			cw[k] = n / (NumClasses * count[k])
		}
	}
	order := make([]int, len(xs))
	for i := range order {
		order[i] = i
	}
	var x [NumContextFeatures]float64
	var h [modelHidden]float64
	var p [NumClasses]float64
	for ep := 0; ep < o.Epochs; ep++ {
		r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		lr := o.Rate * (1 - 0.9*float64(ep)/float64(o.Epochs))
		for _, idx := range order {
			for i := range x {
				x[i] = max(-8, min(8, (xs[idx][i]-m.Mean[i])/m.Std[i]))
			}
			m.forward(&x, &h, &p)
			y := ys[idx]
			var dz [NumClasses]float64
			for k := range dz {
				t := 0.0
				if k == y {
					t = 1
				}
				dz[k] = (p[k] - t) * cw[y]
			}
			var dh [modelHidden]float64
			for k := range dz {
				for j := range h {
					dh[j] += dz[k] * m.W2[k][j]
					m.W2[k][j] -= lr * (dz[k]*h[j] + o.L2*m.W2[k][j])
				}
				m.B2[k] -= lr * dz[k]
			}
			for j := range h {
				g := dh[j] * (1 - h[j]*h[j])
				for i := range x {
					m.W1[j][i] -= lr * (g*x[i] + o.L2*m.W1[j][i])
				}
				m.B1[j] -= lr * g
			}
		}
	}
	return m
}

// ModelsGoSource renders an ensemble's parameters as the model_weights.go
// file.
func ModelsGoSource(ms []ModelParams, comment string) string {
	var b strings.Builder
	b.WriteString("// Code generated by classifier/cmd/eval -train; DO NOT EDIT.\n")
	for _, l := range strings.Split(strings.TrimSpace(comment), "\n") {
		b.WriteString("// " + l + "\n")
	}
	b.WriteString("\npackage classifier\n\n")
	b.WriteString("// defaultModels holds the trained weights of the context model: an\n")
	b.WriteString("// ensemble whose members' probabilities are averaged.\n")
	b.WriteString("var defaultModels = []ModelParams{\n")
	for i := range ms {
		ms[i].goSource(&b)
	}
	b.WriteString("}\n")
	return b.String()
}

// goSource writes the parameters as one composite literal of a slice.
func (m *ModelParams) goSource(b *strings.Builder) {
	b.WriteString("{\n")
	vec := func(name string, v []float64) {
		fmt.Fprintf(b, "\t%s: [%d]float64{", name, len(v))
		for i, x := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(b, "%.6g", x)
		}
		b.WriteString("},\n")
	}
	vec("Mean", m.Mean[:])
	vec("Std", m.Std[:])
	fmt.Fprintf(b, "\tW1: [%d][%d]float64{\n", modelHidden, NumContextFeatures)
	for j := range m.W1 {
		b.WriteString("\t\t{")
		for i, x := range m.W1[j] {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(b, "%.6g", x)
		}
		b.WriteString("},\n")
	}
	b.WriteString("\t},\n")
	vec("B1", m.B1[:])
	fmt.Fprintf(b, "\tW2: [%d][%d]float64{\n", NumClasses, modelHidden)
	for k := range m.W2 {
		b.WriteString("\t\t{")
		for j, x := range m.W2[k] {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(b, "%.6g", x)
		}
		b.WriteString("},\n")
	}
	b.WriteString("\t},\n")
	vec("B2", m.B2[:])
	b.WriteString("},\n")
}

// SetDefaultModels replaces the ensemble used by pipelines created
// afterwards (for the training tool; not safe while pipelines are being
// created).
func SetDefaultModels(ms []ModelParams) { defaultModels = ms }

// predictEnsemble averages the members' class probabilities: members
// trained from different seeds disagree most where one of them is wrong, and
// the average is steadier than any one (on held-out voices a single model's
// false detections varied from 0 to 3 between seeds).
// Members trained on the same examples share their input scaling; then the
// input is standardised once (sharedScaling says so, computed once per
// pipeline).
func predictEnsemble(ms []ModelParams, shared bool, v []float64, out *[NumClasses]float64) {
	if len(ms) == 1 {
		ms[0].Predict(v, out)
		return
	}
	var sum, p [NumClasses]float64
	var x [NumContextFeatures]float64
	var h [modelHidden]float64
	for i := range ms {
		if i == 0 || !shared {
			ms[i].standardize(v, &x)
		}
		ms[i].forward(&x, &h, &p)
		for k := range sum {
			sum[k] += p[k]
		}
	}
	inv := 1 / float64(len(ms))
	for k := range out {
		out[k] = sum[k] * inv
	}
}

// sharedScaling reports whether every member standardises its input alike.
func sharedScaling(ms []ModelParams) bool {
	for i := range ms {
		if ms[i].Mean != ms[0].Mean || ms[i].Std != ms[0].Std {
			return false
		}
	}
	return true
}
