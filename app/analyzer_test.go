package app_test

import (
	"os"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/go-audio/wav"

	"github.com/holdslayer/holdslayer/app"
	"github.com/holdslayer/holdslayer/classifier"
	"github.com/holdslayer/holdslayer/internal/debsounds"
)

// readWAV loads an 8 kHz mono 16-bit file of the Debian asterisk sound packages.
func readWAV(t testing.TB, path string) []int16 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("sound file not installed (asterisk-moh-opsound-wav / asterisk-core-sounds-en-wav and asterisk-core-sounds-en): %v", err)
	}
	defer f.Close()
	d := wav.NewDecoder(f)
	buf, err := d.FullPCMBuffer()
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	if buf.Format.SampleRate != 8000 || buf.Format.NumChannels != 1 {
		t.Fatalf("%s: %d Hz %d channels, want 8000 mono", path, buf.Format.SampleRate, buf.Format.NumChannels)
	}
	out := make([]int16, len(buf.Data))
	for i, v := range buf.Data {
		out[i] = int16(v)
	}
	return out
}

// TestClassifierAnalyzerOnRealAudio runs the adapter over silence and then real hold music and
// checks labels and the hold decision come through the engine's interface.
func TestClassifierAnalyzerOnRealAudio(t *testing.T) {
	an, err := app.NewClassifierAnalyzer(classifier.Config{})(8000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.NewClassifierAnalyzer(classifier.Config{})(11025); err == nil {
		t.Fatal("unsupported rate accepted")
	}
	silence := make([]int16, 160)
	var last app.Analysis
	for range 100 {
		last = an.Process(silence)
	}
	if last.Label != app.AudioSilence {
		t.Fatalf("2 s of silence labelled %q", last.Label)
	}
	music := readWAV(t, debsounds.MOHDir+"/macroform-cold_day.wav")[:8000*40]
	counts := map[string]int{}
	var hold *app.Detection
	for i := 0; i+160 <= len(music); i += 160 {
		a := an.Process(music[i : i+160])
		counts[a.Label]++
		for _, d := range a.Detections {
			if d.Kind == app.DetectHold && hold == nil {
				hold = &d
			}
		}
	}
	if counts[app.AudioMusic] < len(music)/160/2 {
		t.Fatalf("hold music mostly not labelled music: %v", counts)
	}
	if hold == nil || hold.Confidence <= 0 || hold.AudioType == "" || hold.Evidence == nil {
		t.Fatalf("no usable hold detection in 40 s of music: %+v (labels %v)", hold, counts)
	}
	if f := last.Features.Map(); len(f) == 0 {
		t.Fatal("no features")
	}
}

func BenchmarkClassifierAnalyzer(b *testing.B) {
	an, err := app.NewClassifierAnalyzer(classifier.Config{})(8000)
	if err != nil {
		b.Fatal(err)
	}
	music := readWAV(b, debsounds.MOHDir+"/macroform-cold_day.wav")[:8000*20]
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if i+160 > len(music) {
			i = 0
		}
		an.Process(music[i : i+160])
		i += 160
	}
}

// TestClassifierAnalyzerHumanEvidence: a voice after the hold music stops cleanly comes through
// as a human detection whose evidence carries what the acoustic layer saw, for the transcript
// layer and the events.
func TestClassifierAnalyzerHumanEvidence(t *testing.T) {
	an, err := app.NewClassifierAnalyzer(classifier.Config{})(8000)
	if err != nil {
		t.Fatal(err)
	}
	music := readWAV(t, debsounds.MOHDir+"/macroform-the_simplicity.wav")[:8000*15]
	voice := readWAV(t, debsounds.CoreDir+"/demo-congrats.wav")
	audio := append(append(append([]int16{}, music...), make([]int16, 8000*7/10)...), voice...)
	var human *app.Detection
	for i := 0; i+160 <= len(audio) && human == nil; i += 160 {
		for _, d := range an.Process(audio[i : i+160]).Detections {
			if d.Kind == app.DetectHuman {
				human = &d
			}
		}
	}
	if human == nil {
		t.Fatal("no human detection for a voice after the music stopped")
	}
	voiceAt := time.Duration(len(music)+8000*7/10) * time.Second / 8000
	if human.Onset < voiceAt-200*time.Millisecond || human.Onset > voiceAt+time.Second {
		t.Errorf("onset %v, voice began at %v", human.Onset, voiceAt)
	}
	for _, k := range []string{"hold_duration_s", "silence_before_speech_s", "music_bed_prob", "fast_path", "voice_change_st", "repeat_ber"} {
		if _, ok := human.Evidence[k]; !ok {
			t.Errorf("evidence %v lacks %q", human.Evidence, k)
		}
	}
}

// lossCounter is an AudioAnalyzer that counts what it is given.
type lossCounter struct {
	mu          sync.Mutex
	heard, lost int
}

func (a *lossCounter) Process([]int16) app.Analysis {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.heard++
	return app.Analysis{Label: app.AudioMusic}
}

func (a *lossCounter) ProcessLost() app.Analysis {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.lost++
	return app.Analysis{Label: app.AudioMusic}
}

func (a *lossCounter) counts() (heard, lost int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.heard, a.lost
}

// A frame the media layer filled because no packet came (AudioFrame.Filled) reaches the
// analyzer as lost, not as the company's audio: its zeros would read as the line going silent.
func TestFilledFramesReachTheAnalyzerAsLost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		an := &lossCounter{}
		e := newEnv(t, func(cfg *app.EngineConfig) {
			cfg.Analyzer = func(int) (app.AudioAnalyzer, error) { return an, nil }
		})
		defer e.close()
		c, s := e.place(app.CallRequest{Number: company, Mode: app.ModeHoldSlayer})
		s.FarAnswer(e.channel(s, companyEP))
		e.settle()
		e.wantStatus(c.ID, app.StatusConnected)
		s.mu.Lock()
		src := s.sources[0]
		s.mu.Unlock()
		frame := make([]int16, 160)
		for i := range frame {
			frame[i] = int16(1000 * (i%16 - 8))
		}
		for _, filled := range []bool{false, true, true, false} {
			if filled {
				src.push(app.AudioFrame{Samples: make([]int16, 160), Filled: true})
			} else {
				src.push(app.AudioFrame{Samples: frame})
			}
			e.sleep(20 * time.Millisecond)
		}
		if heard, lost := an.counts(); heard != 2 || lost != 2 {
			t.Fatalf("analyzer heard %d frames and was told of %d lost, want 2 and 2", heard, lost)
		}
	})
}
