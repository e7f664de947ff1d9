package main

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// What played when the person answered: from the pickup mark since
// corpus-v16, from the last hold segment before it.
func TestAnsweredAfter(t *testing.T) {
	for _, c := range []struct{ desc, last, want string }{
		{"ringback-uk+ivr+hold(m,ann=ducked*2,a,pickup@46.17:announcement-ducked/cut)+human(x)", "announcement-ducked", "ducked/cut"},
		{"ringback-us+ivr+hold(m,ann=over*1,a,loop,pickup@24.47:music)+human(x)", "music", "music"},
		{"ringback-us+ivr+hold(m,ann=stopped*1,a,pickup@30.02:gap)+human(x)", "announcement-stopped", "gap"},
		{"ringback-eu+ivr+hold(m,ann=stopped*3,a,file-end@31.20)+human(x)", "announcement-stopped", "stopped/finished"},
		{"ringback-eu+ivr+hold(m,ann=over*3,a)+human(x)", "pause", "pause"},
		{"ringback-eu+ivr+hold(m,ann=over*3,a)+human(x)", "", "unknown"},
	} {
		if got := answeredAfter(c.desc, c.last); got != c.want {
			t.Errorf("answeredAfter(%q, %q) = %q, want %q", c.desc, c.last, got, c.want)
		}
	}
}

// The intervals printed under the latency come from resampling the calls:
// they hold the figures of the draw itself, they are the same on every run,
// a draw where every agent took the same time has no spread, and the missed
// agents shrink the count found within 2 s.
func TestSpreadResamplesTheCalls(t *testing.T) {
	var agents []float64
	for i := range 96 {
		agents = append(agents, 0.1*float64(i+1)) // 0.1 .. 9.6 s, sorted as quantile needs
	}
	med, p90, w2 := spread(agents, 2000)
	if m, q := quantile(agents, 0.5), quantile(agents, 0.9); med[0] > m || med[1] < m || p90[0] > q || p90[1] < q {
		t.Errorf("intervals median %v p90 %v do not hold the draw's own %.2f and %.2f", med, p90, m, q)
	}
	if p90[1]-p90[0] < 0.5 || w2[1]-w2[0] < 5 {
		t.Errorf("intervals p90 %v and within 2 s %v are too narrow for 96 agents spread over 9.6 s", p90, w2)
	}
	if med2, p902, w22 := spread(agents, 2000); med2 != med || p902 != p90 || w22 != w2 {
		t.Errorf("a second run gave %v %v %v, the first %v %v %v", med2, p902, w22, med, p90, w2)
	}

	same := slices.Repeat([]float64{0.7}, 50)
	if med, p90, w2 := spread(same, 500); med != [2]float64{0.7, 0.7} || p90 != [2]float64{0.7, 0.7} || w2 != [2]float64{50, 50} {
		t.Errorf("agents all at 0.7 s: median %v p90 %v within 2 s %v, want no spread", med, p90, w2)
	}

	half := append(slices.Repeat([]float64{0.7}, 50), slices.Repeat([]float64{math.Inf(1)}, 50)...)
	if _, _, w2 := spread(half, 2000); w2[0] < 35 || w2[1] > 65 {
		t.Errorf("half of 100 agents missed: within 2 s %v, want about 50", w2)
	}

	var out strings.Builder
	printSpread(&out, half)
	if !strings.Contains(out.String(), "with the 50 missed counted as never found: p90 never") {
		t.Errorf("printSpread with half the agents missed:\n%s", out.String())
	}
	out.Reset()
	printSpread(&out, agents)
	if strings.Contains(out.String(), "missed") {
		t.Errorf("printSpread with none missed speaks of missed agents:\n%s", out.String())
	}
	out.Reset()
	printSpread(&out, append(slices.Clone(agents), math.Inf(1)))
	if !strings.Contains(out.String(), "with the 1 missed counted as never found: p90 8.80s") {
		t.Errorf("printSpread with one missed:\n%s", out.String())
	}
}

// Late agents are tallied by what held the detector back, commonest first.
func TestPrintHoldupsCommonestFirst(t *testing.T) {
	var out strings.Builder
	printHoldups(&out, map[string]int{"playback chain": 2, "candidate waits speech": 5, holdupName("", 1): 1, holdupName("", 0): 1})
	want := "not detected 2 s after the onset (9): what held the detector back then:\n" +
		"  candidate waits speech           5\n" +
		"  playback chain                   2\n" +
		"  fired before the onset           1\n" +
		"  no hold detected                 1\n"
	if out.String() != want {
		t.Errorf("printHoldups:\n%s\nwant:\n%s", out.String(), want)
	}
	out.Reset()
	printHoldups(&out, nil)
	if out.Len() != 0 {
		t.Errorf("printHoldups with nothing late printed %q", out.String())
	}
}

// -conceal fills a burst as a jitter buffer's concealment would: the frame
// heard last, 3 dB quieter each frame, and silence after the third.
func TestConcealFadesTheLastFrame(t *testing.T) {
	last := make([]int16, 160)
	for i := range last {
		last[i] = int16(1000 + i)
	}
	lost := make([]int16, 4*160)
	conceal(last, lost)
	for k, want := range []float64{math.Sqrt(0.5), 0.5, math.Sqrt(0.125), 0} {
		for j := range 160 {
			if got, w := lost[k*160+j], int16(want*float64(last[j])); got != w {
				t.Fatalf("lost frame %d, sample %d: %d, want %d", k, j, got, w)
			}
		}
	}
}
