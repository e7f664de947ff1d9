package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// timelines writes whole calls: ringback, IVR prompts, hold music with
// announcements over it and pauses in the music, then (or not) a live
// greeting in an espeak voice (the IVR uses the recorded Asterisk voice).
func (g *generator) timelines() error {
	f, err := os.Create(filepath.Join(g.out, "timelines.tsv"))
	if err != nil {
		return fmt.Errorf("create timelines: %w", err)
	}
	defer f.Close()
	fmt.Fprintln(f, "file\tsplit\thuman_onset\tcondition\tdescription")
	per := 14
	if g.small {
		per = 3
	}
	idx := 0
	conds := []string{"clean", "ulaw", "gsm", "white20", "pink10", "band", "quiet", "lost", "alaw", "hum", "comfort", "loud", "white10", "pink20"}
	for _, split := range []string{"train", "heldout"} {
		for k := 0; k < per; k++ {
			idx++
			r := rand.New(rand.NewPCG(uint64(1000+idx), 0x71e))
			human := k%3 != 2 // two of three reach a person
			s, onset, desc := g.timeline(r, split, human)
			cond := conds[k%len(conds)]
			s, err := condition(r, cond, s)
			if err != nil {
				return err
			}
			name := fmt.Sprintf("timelines/%s-%02d-%s.wav", split, idx, cond)
			if err := writeWAV(filepath.Join(g.out, name), s); err != nil {
				return err
			}
			on := "-1"
			if onset >= 0 {
				on = fmt.Sprintf("%.3f", float64(onset)/rate)
			}
			fmt.Fprintf(f, "%s\t%s\t%s\t%s\t%s\n", name, split, on, cond, desc)
		}
	}
	return nil
}

func (g *generator) timeline(r *rand.Rand, split string, human bool) ([]int16, int, string) {
	var s []int16
	sec := func(x float64) int { return int(x * rate) }
	add := func(x []int16) { s = append(s, x...) }
	desc := ""
	// Ringback: two or three rings of a plan.
	ring := tonePlans[r.IntN(3)]
	ringLen := map[string]float64{"ringback-us": 12, "ringback-uk": 6, "ringback-eu": 10}[ring.kind]
	add(setLevel(tone(ring, sec(ringLen), 0, 12000), -18))
	desc += ring.kind
	if !human && r.IntN(3) == 0 {
		// Never answered properly: busy or intercept.
		b := tonePlans[3+r.IntN(7)]
		add(setLevel(tone(b, sec(8), 0, 12000), -18))
		return s, -1, desc + "+" + b.kind
	}
	add(make([]int16, sec(0.4)))
	// IVR prompts (recorded voice).
	for i := 0; i < 1+r.IntN(2); i++ {
		p := pick(r, g.prompts[split])
		add(setLevel(p.samples, -20))
		add(make([]int16, sec(0.3+0.5*r.Float64())))
	}
	// Hold: music with announcements over it and pauses in the music.
	m := pick(r, g.music[split])
	holdLen := 25 + 20*r.Float64()
	if !human {
		holdLen = 60
	}
	mpos := r.IntN(len(m.samples) / 2)
	music := func(n int) []int16 {
		out := make([]int16, n)
		for i := range out {
			out[i] = m.samples[(mpos+i)%len(m.samples)]
		}
		mpos += n
		return setLevel(out, -22)
	}
	start := len(s)
	for float64(len(s)-start)/rate < holdLen {
		add(music(sec(6 + 6*r.Float64())))
		switch r.IntN(3) {
		case 0: // announcement over the music (music continues under it)
			p := pick(r, g.prompts[split])
			ann := setLevel(p.samples, -16)
			add(mix(ann, music(len(ann))))
		case 1: // a pause in the music
			add(make([]int16, sec(0.5+1.5*r.Float64())))
		}
	}
	desc += "+ivr+hold(" + m.name + ")"
	if !human {
		return s, -1, desc
	}
	add(make([]int16, sec(0.3+0.9*r.Float64())))
	onset := len(s)
	v := pick(r, g.speech[split])
	add(setLevel(v.samples, -18+6*r.Float64()))
	add(make([]int16, sec(1.5)))
	v2 := pick(r, g.speech[split])
	add(setLevel(v2.samples, -18))
	add(make([]int16, sec(2)))
	return s, onset, desc + "+human(" + v.name + ")"
}
