package main

import (
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/holdslayer/holdslayer/app/audio"
)

type generator struct {
	out, mohDir, soundsDir string
	small                  bool
	log                    *slog.Logger

	music   map[string][]source // by split
	prompts map[string][]source
	speech  map[string][]source // espeak renderings
	// For the timelines: agent voice names, rendered announcements and
	// recorded greeting words, by split.
	agentVoices map[string][]string
	announcers  map[string][]source
	greetings   map[string][]source
}

func (g *generator) run() error {
	if err := os.RemoveAll(g.out); err != nil {
		return fmt.Errorf("clean %s: %w", g.out, err)
	}
	for _, d := range []string{"clips", "timelines"} {
		if err := os.MkdirAll(filepath.Join(g.out, d), 0o755); err != nil {
			return fmt.Errorf("mkdir: %w", err)
		}
	}
	if err := g.load(); err != nil {
		return err
	}
	if err := g.clips(); err != nil {
		return err
	}
	return g.timelines()
}

func (g *generator) load() error {
	g.music, g.prompts, g.speech = map[string][]source{}, map[string][]source{}, map[string][]source{}
	moh, err := loadDir(g.mohDir, 0, 10)
	if err != nil {
		return err
	}
	for _, m := range moh {
		m.split = "train"
		if mohHeldout[m.name] {
			m.split = "heldout"
		}
		g.music[m.split] = append(g.music[m.split], m)
	}
	limit := 160
	if g.small {
		limit = 30
	}
	prompts, err := loadDir(g.soundsDir, limit, 1.2)
	if err != nil {
		return err
	}
	for _, p := range prompts {
		p.samples = trim(p.samples)
		g.prompts[p.split] = append(g.prompts[p.split], p)
	}
	speeds := []int{150, 185}
	for vi, v := range voices {
		for si := 0; si < 3; si++ {
			text := sentences[(vi*3+si)%len(sentences)]
			sp := speeds[si%2]
			s, err := espeak(v.voice, text, sp)
			if err != nil {
				return err
			}
			g.speech[v.split] = append(g.speech[v.split], source{name: fmt.Sprintf("espeak-%s-%d-%d", v.voice, si, sp), split: v.split, samples: trim(s)})
		}
	}
	g.agentVoices, g.announcers, g.greetings = map[string][]string{}, map[string][]source{}, map[string][]source{}
	for _, split := range []string{"train", "heldout"} {
		g.agentVoices[split] = agentVoiceList(split)
		for vi, v := range announcerVoices[split] {
			for ai, text := range announcements {
				s, err := espeakP(v, text, 150+10*ai, 40+10*vi)
				if err != nil {
					return err
				}
				g.announcers[split] = append(g.announcers[split], source{name: fmt.Sprintf("announcer-%s-%d", v, ai), split: split, samples: trim(s)})
			}
		}
	}
	for _, w := range greetingWords {
		pcm, err := audio.ReadFile(filepath.Join(g.soundsDir, w+".wav"))
		if err != nil {
			return fmt.Errorf("greeting word %s: %w", w, err)
		}
		s := trim(audio.Resample(pcm.Samples, pcm.Rate, rate))
		sp := splitOf(w)
		g.greetings[sp] = append(g.greetings[sp], source{name: w, split: sp, samples: s})
	}
	// More speakers for the speech clips (and so for the model): two
	// renderings per agent base voice of the split, each with its own
	// variant, speed and pitch, so the model does not learn a handful of
	// voices.
	for _, split := range []string{"train", "heldout"} {
		vars := agentVariants[split]
		for bi, b := range agentBases[split] {
			for k := 0; k < 2; k++ {
				n := bi*2 + k
				v := b
				if vv := vars[(n*3+1)%len(vars)]; vv != "" {
					v = b + "+" + vv
				}
				sp, pi := 130+(n*37)%80, 25+(n*29)%50
				s, err := espeakP(v, sentences[(n+3)%len(sentences)], sp, pi)
				if err != nil {
					return err
				}
				g.speech[split] = append(g.speech[split], source{name: fmt.Sprintf("espeak-%s-s%d-p%d", v, sp, pi), split: split, samples: trim(s)})
			}
		}
	}
	for _, split := range []string{"train", "heldout"} {
		if len(g.music[split]) == 0 || len(g.prompts[split]) == 0 || len(g.speech[split]) == 0 ||
			len(g.greetings[split]) == 0 || len(g.announcers[split]) == 0 {
			return fmt.Errorf("split %s lacks sources (music %d, prompts %d, voices %d)", split,
				len(g.music[split]), len(g.prompts[split]), len(g.speech[split]))
		}
		g.log.Info("sources", "split", split, "music", len(g.music[split]), "prompts", len(g.prompts[split]), "espeak", len(g.speech[split]),
			"agent_voices", len(g.agentVoices[split]), "greeting_words", len(g.greetings[split]))
	}
	return nil
}

// trim removes leading and trailing near-silence.
func trim(s []int16) []int16 {
	a, b := 0, len(s)
	for a < b && abs16(s[a]) < 200 {
		a++
	}
	for b > a && abs16(s[b-1]) < 200 {
		b--
	}
	return s[a:b]
}

func abs16(v int16) int {
	if v < 0 {
		return -int(v)
	}
	return int(v)
}

func excerpt(r *rand.Rand, s []int16, n int) []int16 {
	out := make([]int16, n)
	if len(s) <= n {
		copy(out, s)
		return out
	}
	off := r.IntN(len(s) - n)
	copy(out, s[off:off+n])
	return out
}

func pick(r *rand.Rand, xs []source) source { return xs[r.IntN(len(xs))] }

// speechFill concatenates utterances with short pauses up to n samples.
func (g *generator) speechFill(r *rand.Rand, split string, n int) ([]int16, string) {
	var out []int16
	var names []string
	for len(out) < n {
		var s source
		if r.IntN(2) == 0 {
			s = pick(r, g.prompts[split])
		} else {
			s = pick(r, g.speech[split])
		}
		names = append(names, s.name)
		u := setLevel(s.samples, -20)
		out = append(out, u...)
		out = append(out, make([]int16, int((0.15+0.4*r.Float64())*rate))...)
	}
	return out[:n], strings.Join(names, "+")
}

func mix(a, b []int16) []int16 {
	out := make([]int16, len(a))
	for i := range a {
		v := float64(a[i])
		if i < len(b) {
			v += float64(b[i])
		}
		out[i] = clip16(v)
	}
	return out
}

var digitsAlphabet = "0123456789*#ABCD"

// clip makes one labelled clip of the given class.
func (g *generator) clip(r *rand.Rand, class, split string) (s []int16, label, src, kind string) {
	n := 4 * rate
	switch class {
	case "silence":
		return make([]int16, n), "silence", "zeros", ""
	case "music":
		m := pick(r, g.music[split])
		return setLevel(excerpt(r, m.samples, n), -20), "music", m.name, ""
	case "speech":
		s, names := g.speechFill(r, split, n)
		return s, "speech", names, ""
	case "speech_over_music":
		sp, names := g.speechFill(r, split, n)
		m := pick(r, g.music[split])
		bed := setLevel(excerpt(r, m.samples, n), -20-(6+6*r.Float64()))
		return mix(sp, bed), "speech", names + "|" + m.name, "over-music"
	case "unknown":
		var x []float64
		kind = "white"
		if r.IntN(2) == 0 {
			x, kind = pinkNoise(r, n), "pink"
		} else {
			x = whiteNoise(r, n)
		}
		g := 32768 * math.Pow(10, -20.0/20) / rmsF(x)
		out := make([]int16, n)
		for i, v := range x {
			out[i] = clip16(v * g)
		}
		return out, "unknown", kind + "-noise", kind
	case "dtmf":
		var d []byte
		for len(d) < 24 {
			d = append(d, digitsAlphabet[r.IntN(len(digitsAlphabet))])
		}
		s := dtmfSeq(r, string(d), 12000)
		out := make([]int16, n)
		copy(out, s)
		return out, "dtmf", string(d), ""
	default: // tone plan name
		for _, t := range tonePlans {
			if t.kind == class {
				return tone(t, 6*rate, 0.2*r.Float64(), 12000), t.label, t.kind, t.kind
			}
		}
	}
	panic("unknown class " + class)
}

func (g *generator) clips() error {
	classes := []string{"silence", "music", "speech", "speech_over_music", "unknown", "dtmf"}
	perCond := map[string]int{"train": 6, "heldout": 3}
	if g.small {
		perCond = map[string]int{"train": 1, "heldout": 1}
	}
	f, err := os.Create(filepath.Join(g.out, "clips.tsv"))
	if err != nil {
		return fmt.Errorf("create labels: %w", err)
	}
	defer f.Close()
	fmt.Fprintln(f, "file\tlabel\tclass\tsplit\tcondition\tsource\tkind")
	idx := 0
	for _, split := range []string{"train", "heldout"} {
		for ci, cond := range conditions {
			var list []string
			for k := 0; k < perCond[split]; k++ {
				list = append(list, classes...)
				// Two tone plans per block, rotating through all plans.
				list = append(list, tonePlans[(ci*2+k*7)%len(tonePlans)].kind, tonePlans[(ci*2+k*7+1)%len(tonePlans)].kind)
			}
			for _, class := range list {
				idx++
				r := rand.New(rand.NewPCG(uint64(idx), 0x5eed))
				s, label, src, kind := g.clip(r, class, split)
				if cond != "quiet" && cond != "loud" {
					s = setLevel(s, -30+27*r.Float64())
				}
				s, err := condition(r, cond, s)
				if err != nil {
					return err
				}
				modelClass := class
				if label == "ringing" || label == "busy" || label == "dtmf" {
					modelClass = "-"
				}
				name := fmt.Sprintf("clips/%s-%04d-%s-%s.wav", split, idx, strings.ReplaceAll(class, "_", "-"), cond)
				if err := audio.WriteFile(filepath.Join(g.out, name), s, rate); err != nil {
					return err
				}
				fmt.Fprintf(f, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, label, modelClass, split, cond, src, kind)
			}
		}
		g.log.Info("clips written", "split", split, "total", idx)
	}
	return nil
}

func writeWAV(path string, s []int16) error { return audio.WriteFile(path, s, rate) }
