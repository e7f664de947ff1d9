package classifier

import (
	"math/rand/v2"
	"testing"
)

// prints feeds the pieces, one after the other as in a call, through one
// feature extractor and printer into m, marking every frame worth comparing.
func prints(m *echoMemory, pieces ...[]int16) {
	var s []int16
	for _, p := range pieces {
		s = append(s, p...)
	}
	fe, pr := NewFeatureExtractor(), newPrinter()
	buf := make([]float64, frameLen)
	for i := 0; i+frameLen <= len(s); i += frameLen {
		for j := range buf {
			buf[j] = float64(s[i+j])
		}
		fe.Process(buf)
		m.push(pr.word(fe.Spectrum[:]), true)
	}
}

// A recorded prompt heard again 10 s later matches, the first time ducked
// over hold music (12 dB under the voice) and the second time over white
// noise (20 dB under it); another prompt in the same voice does not.
func TestEchoFindsRecordingPlayedAgain(t *testing.T) {
	ann := readWAV8k(t, soundsDir+"/agent-alreadyon.wav")[:2*8000]
	other := readWAV8k(t, soundsDir+"/conf-waitforleader.wav")[:2*8000]
	moh := readWAV8k(t, mohDir+"/macroform-cold_day.wav")
	r := rand.New(rand.NewPCG(3, 3))
	first := mixInto(ann, scaleTo(moh[8000:8000+len(ann)], rmsDB(ann)-12))
	gap := moh[8000+len(ann) : 8000+len(ann)+10*8000]
	for _, tc := range []struct {
		name  string
		again []int16
		match bool
	}{
		{"same recording", mixInto(ann, noise(r, len(ann), rmsDB(ann)-20)), true},
		{"other words", mixInto(other, noise(r, len(other), rmsDB(other)-20)), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var m echoMemory
			prints(&m, first, gap, tc.again)
			ber, shift := m.repeat(echoQueryFrames)
			t.Logf("BER %.3f at %d frames back", ber, shift)
			if got := ber <= echoMaxBER; got != tc.match {
				t.Fatalf("BER %.3f (repeat at or below %.2f): match %v, want %v", ber, echoMaxBER, got, tc.match)
			}
			if want := (len(first) + len(gap)) / frameLen; tc.match && (shift < want-1 || shift > want+1) {
				t.Errorf("matched %d frames back, want %d", shift, want)
			}
		})
	}
}

// Fewer loud frames than echoMinFrames are never called a repeat, and a
// memory shorter than echoMinShift has nothing to compare with.
func TestEchoNeedsEnoughToCompare(t *testing.T) {
	var m echoMemory
	for i := 0; i < 1000; i++ {
		m.push(0, i >= 1000-echoMinFrames+1)
	}
	if ber, _ := m.repeat(echoQueryFrames); ber != 1 {
		t.Errorf("%d loud frames: BER %.3f, want 1 (not compared)", echoMinFrames-1, ber)
	}
	var short echoMemory
	for i := 0; i < echoMinShift; i++ {
		short.push(0, true)
	}
	if ber, _ := short.repeat(echoQueryFrames); ber != 1 {
		t.Errorf("memory of %d frames: BER %.3f, want 1", echoMinShift, ber)
	}
}

// at compares one alignment: a stretch played again matches at the shift
// it was played at and at no other, only its loud frames count, and a shift
// past the memory compares nothing.
func TestEchoAt(t *testing.T) {
	var m echoMemory
	for i := 0; i < 2000; i++ {
		w := printOf(i)
		if i >= 1500 {
			w = printOf(i - 700) // the stretch heard 700 frames earlier, again
		}
		m.push(w, i%5 != 0)
	}
	if ber, n := m.at(echoQueryFrames, 700); ber != 0 || n != 40 {
		t.Errorf("at the replay's shift: BER %.3f over %d frames, want 0 over the 40 loud ones of 50", ber, n)
	}
	if ber, n := m.at(echoQueryFrames, 701); ber < 0.4 || ber > 0.6 || n != 40 {
		t.Errorf("one frame off: BER %.3f over %d frames, want about 0.5 (unrelated words)", ber, n)
	}
	if ber, n := m.at(echoQueryFrames, 1990); ber != 1 || n != 0 {
		t.Errorf("past the memory: BER %.3f over %d frames, want 1 over none", ber, n)
	}
}

// The search runs once per candidate decision over the whole memory.
func BenchmarkEchoRepeat(b *testing.B) {
	var m echoMemory
	for i := 0; i < echoFrames; i++ {
		m.push(printOf(i), true)
	}
	b.ReportAllocs()
	for b.Loop() {
		m.repeat(echoQueryFrames)
	}
}

// A lost frame that is not heard (see lostLevelDB) still takes its slot in
// the memory (HumanDetector.lostFrame), so a recording played again matches
// its first playing frame by frame on both sides of the loss; without the
// slot, the frames after the loss are one frame off.
func TestEchoLostFrameKeepsItsSlot(t *testing.T) {
	for _, slot := range []bool{true, false} {
		d := NewHumanDetector(DefaultHumanMinSpeech, DefaultHumanMaxMusicShare, DefaultHumanMinConfidence)
		for i := 0; i < 2000; i++ {
			if i == 1975 { // lost, inside the query window
				if slot {
					d.lostFrame()
				}
				continue
			}
			w := printOf(i)
			if i >= 1500 {
				w = printOf(i - 700) // the stretch heard 700 frames earlier, again
			}
			d.echo.push(w, true)
		}
		shift := 700
		if !slot {
			shift = 699 // where the frames before the loss now lie
		}
		ber, n := d.echo.at(echoQueryFrames, shift)
		switch {
		case slot && (ber != 0 || n != echoQueryFrames-1):
			t.Errorf("with the lost frame's slot: BER %.3f over %d frames, want 0 over %d", ber, n, echoQueryFrames-1)
		case !slot && ber < 0.2:
			t.Errorf("without the slot: BER %.3f, want the frames after the loss off by one (about 0.25)", ber)
		}
	}
}
