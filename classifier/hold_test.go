package classifier

import (
	"testing"
	"time"
)

// holdStep is a stretch of frames with one smoothed label.
type holdStep struct {
	l Label
	d time.Duration
}

// holdRun feeds a HoldDetector the steps and returns when it detected the
// hold (-1: never).
func holdRun(steps ...holdStep) time.Duration {
	h := NewHoldDetector(DefaultHoldMinMusic, DefaultHoldMinSilence, DefaultHoldGap)
	at := time.Duration(0)
	for _, st := range steps {
		for range frames(st.d) {
			if d, ok := h.Process(st.l, false, -20, at); ok && d.Kind == HoldDetected {
				return d.At
			}
			at += FrameDuration
		}
	}
	return -1
}

// A hold loop whose music stretches are each shorter than DefaultHoldMinMusic
// but whose announcements stop the music is still a hold: the music counts
// across the announcement. A silence as long breaks the run, as before; so
// does an announcement longer than holdAnnouncementGap, and speech after a
// few frames the model took for music (an IVR prompt) is no announcement.
func TestHoldCountsMusicAcrossAnAnnouncement(t *testing.T) {
	s := time.Second
	for _, c := range []struct {
		name  string
		steps []holdStep
		want  time.Duration // -1: no hold
	}{
		{"music 5 s, announcement 4 s, music", []holdStep{{Music, 5 * s}, {Speech, 4 * s}, {Music, 5 * s}}, 10 * s},
		{"music 5 s, silence 4 s, music 5 s", []holdStep{{Music, 5 * s}, {Silence, 4 * s}, {Music, 5 * s}}, -1},
		{"music 5 s, announcement 16 s, music 5 s", []holdStep{{Music, 5 * s}, {Speech, 16 * s}, {Music, 5 * s}}, -1},
		{"music 1 s, prompt 8 s, music 5 s", []holdStep{{Music, s}, {Speech, 8 * s}, {Music, 5 * s}}, -1},
		{"music 5 s, silence 2 s, music", []holdStep{{Music, 5 * s}, {Silence, 2 * s}, {Music, 5 * s}}, 8 * s},
	} {
		if got := holdRun(c.steps...); got != c.want {
			t.Errorf("%s: hold detected at %v, want %v (-1: none)", c.name, got, c.want)
		}
	}
}

// An IVR prompt that the model, in heavy line noise, hears as speech over
// music from its first word to its last is no hold: a hold plays its music
// alone at some point. In the corpora four calls went "on hold" that way,
// 6-8 s before their music began (seventeenth session).
func TestHoldNeedsSomeMusicAlone(t *testing.T) {
	h := NewHoldDetector(DefaultHoldMinMusic, DefaultHoldMinSilence, DefaultHoldGap)
	at := time.Duration(0)
	feed := func(l Label, under bool, d time.Duration) (Detection, bool) {
		for end := at + d; at < end; at += FrameDuration {
			if det, ok := h.Process(l, under, -20, at); ok {
				return det, true
			}
		}
		return Detection{}, false
	}
	if d, ok := feed(Speech, true, 10*time.Second); ok {
		t.Fatalf("hold_detected at %v on speech over music alone", d.At)
	}
	d, ok := feed(Music, false, time.Second)
	if !ok {
		t.Fatal("no hold_detected once the music played alone")
	}
	if want := 10*time.Second + holdMinMusicAlone; d.At < want-FrameDuration || d.At > want+FrameDuration {
		t.Errorf("hold_detected at %v, want about %v", d.At, want)
	}
}
