package speech

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestSegmenterCutsUtterancesWithPreRoll(t *testing.T) {
	const rate = 8000
	rng := rand.New(rand.NewPCG(7, 8))
	sp := espeak(t, "For billing, press two.", rate)
	pcm, spans := scene(rate,
		piece{noise(rng, rate, time.Second), false},
		piece{mix(sp, noise(rng, rate, 5*time.Second)), true},
		piece{noise(rng, rate, 2*time.Second), false},
	)
	seg, err := NewSegmenter(rate, SegmenterConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var utts []Utterance
	for i := 0; i+160 <= len(pcm); i += 160 {
		if _, u, ok := seg.Push(pcm[i : i+160]); ok {
			utts = append(utts, u)
		}
	}
	if len(utts) != 1 {
		t.Fatalf("%d utterances, want 1: %+v", len(utts), utts)
	}
	u := utts[0]
	if u.Start > spans[0].start-200*time.Millisecond || u.Start < spans[0].start-600*time.Millisecond {
		t.Errorf("utterance starts at %v, speech at %v: want about %v of pre-roll", u.Start, spans[0].start, DefaultPreRoll)
	}
	if absDur(u.End-spans[0].end) > 300*time.Millisecond {
		t.Errorf("utterance ends at %v, speech at %v", u.End, spans[0].end)
	}
	if got, want := len(u.Samples), int(u.Duration().Seconds()*rate); absInt(got-want) > 160 {
		t.Errorf("%d samples for %v", got, u.Duration())
	}
	if u.Truncated || u.Rate != rate {
		t.Errorf("utterance %+v", u)
	}
}

func TestSegmenterMaxLength(t *testing.T) {
	const rate = 16000
	rng := rand.New(rand.NewPCG(9, 10))
	sp := espeak(t, "Your call is important to us. Please continue to hold and the next available representative will be with you shortly. Calls are answered in the order received.", rate)
	pcm := append(noise(rng, rate, time.Second), sp...)
	seg, err := NewSegmenter(rate, SegmenterConfig{MaxLength: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var utts []Utterance
	for i := 0; i+320 <= len(pcm); i += 320 {
		if _, u, ok := seg.Push(pcm[i : i+320]); ok {
			utts = append(utts, u)
		}
	}
	if u, ok := seg.Flush(); ok {
		utts = append(utts, u)
	}
	if len(utts) < 3 {
		t.Fatalf("%d utterances from %v of speech with a 2 s limit", len(utts), time.Duration(len(sp))*time.Second/rate)
	}
	for i, u := range utts {
		if u.Duration() > 2*time.Second+DefaultPreRoll+FrameDuration {
			t.Errorf("utterance %d lasts %v", i, u.Duration())
		}
		if i > 0 && u.Start < utts[i-1].End-DefaultPreRoll-FrameDuration {
			t.Errorf("utterance %d starts at %v, before %v", i, u.Start, utts[i-1].End)
		}
	}
	truncated := 0
	for _, u := range utts {
		if u.Truncated {
			truncated++
		}
	}
	if truncated == 0 {
		t.Error("no piece marked truncated")
	}
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
