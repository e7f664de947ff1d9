package speech

import (
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/holdslayer/holdslayer/app/audio"
	"github.com/holdslayer/holdslayer/internal/debsounds"
)

// espeak renders text with espeak-ng at rate, or skips the test when espeak-ng is missing.
func espeak(t testing.TB, text string, rate int) []int16 {
	t.Helper()
	bin, err := exec.LookPath("espeak-ng")
	if err != nil {
		t.Skip("espeak-ng is not installed (Debian package espeak-ng); skipping real-speech test")
	}
	out, err := exec.Command(bin, "--stdout", "-v", "en-us", "-s", "165", text).Output()
	if err != nil {
		t.Fatalf("espeak-ng: %v", err)
	}
	p, err := decodeWAV(out)
	if err != nil {
		t.Fatalf("read espeak wav: %v", err)
	}
	return audio.Resample(trimSilence(p.Samples), p.Rate, rate)
}

// trimSilence cuts espeak's leading and trailing digital silence so onsets are known.
func trimSilence(s []int16) []int16 {
	first, last := 0, len(s)-1
	for first < len(s) && abs16(s[first]) < 300 {
		first++
	}
	for last > first && abs16(s[last]) < 300 {
		last--
	}
	return s[first : last+1]
}

func abs16(x int16) int {
	if x < 0 {
		return -int(x)
	}
	return int(x)
}

func moh(t testing.TB, name string, rate int, d time.Duration) []int16 {
	t.Helper()
	path := debsounds.MOHDir + "/" + name
	if _, err := os.Stat(path); err != nil {
		t.Skipf("%s missing (Debian package asterisk-moh-opsound-wav); skipping", path)
	}
	p, err := audio.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := audio.Resample(p.Samples, p.Rate, rate)
	// skip the first 5 s (fade in) and take d
	off := 5 * rate
	n := int(d.Seconds() * float64(rate))
	return s[off : off+n]
}

// noise is low line noise (about -60 dBFS) so silence is not digital zero.
func noise(rng *rand.Rand, rate int, d time.Duration) []int16 {
	n := int(d.Seconds() * float64(rate))
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(rng.NormFloat64() * 30)
	}
	return out
}

type span struct{ start, end time.Duration }

// scene lays out pieces and returns the audio and where each speech piece sits.
func scene(rate int, pieces ...piece) ([]int16, []span) {
	var out []int16
	var spans []span
	for _, p := range pieces {
		start := time.Duration(len(out)) * time.Second / time.Duration(rate)
		out = append(out, p.s...)
		end := time.Duration(len(out)) * time.Second / time.Duration(rate)
		if p.speech {
			spans = append(spans, span{start, end})
		}
	}
	return out, spans
}

type piece struct {
	s      []int16
	speech bool
}

func mix(a []int16, b []int16) []int16 {
	out := append([]int16(nil), a...)
	for i := range out {
		if i < len(b) {
			v := int(out[i]) + int(b[i])
			out[i] = int16(max(-32768, min(32767, v)))
		}
	}
	return out
}

func runVAD(t *testing.T, rate int, pcm []int16) []VADEvent {
	t.Helper()
	v, err := NewVAD(rate, VADConfig{})
	if err != nil {
		t.Fatal(err)
	}
	n := v.FrameSamples()
	var evs []VADEvent
	for i := 0; i+n <= len(pcm); i += n {
		if ev := v.Push(pcm[i : i+n]); ev.Kind != VADNone {
			evs = append(evs, ev)
		}
	}
	return evs
}

func TestVADRealAudio(t *testing.T) {
	for _, rate := range []int{8000, 16000} {
		rng := rand.New(rand.NewPCG(1, 2))
		sp1 := espeak(t, "Thank you for calling. For billing, press two. For sales, press three.", rate)
		sp2 := espeak(t, "Hi, this is Sarah, how can I help you today?", rate)
		mus := moh(t, "macroform-cold_day.wav", rate, 8*time.Second)
		pcm, spans := scene(rate,
			piece{noise(rng, rate, time.Second), false},
			piece{mix(sp1, noise(rng, rate, 10*time.Second)), true},
			piece{noise(rng, rate, 1500*time.Millisecond), false},
			piece{mus, false},
			piece{noise(rng, rate, 1500*time.Millisecond), false},
			piece{mix(sp2, noise(rng, rate, 10*time.Second)), true},
			piece{noise(rng, rate, time.Second), false},
		)
		evs := runVAD(t, rate, pcm)
		for _, ev := range evs {
			t.Logf("rate %d: %v at %v (level %.1f dBFS, floor %.1f)", rate, ev.Kind, ev.At, ev.LevelDB, ev.FloorDB)
		}
		const tol = 120 * time.Millisecond
		for _, sp := range spans {
			var onset, offset *VADEvent
			for i := range evs {
				ev := &evs[i]
				if onset == nil && ev.Kind == VADOnset && absDur(ev.At-sp.start) <= tol {
					onset = ev
				}
				if ev.Kind == VADOffset && ev.At > sp.start && ev.At <= sp.end+tol {
					offset = ev
				}
			}
			if onset == nil {
				t.Errorf("rate %d: no onset within %v of speech at %v", rate, tol, sp.start)
			}
			if offset == nil || absDur(offset.At-sp.end) > tol {
				t.Errorf("rate %d: speech ending at %v: offset %v, want within %v", rate, sp.end, offset, tol)
			}
		}
		// No onset in the leading second of line noise, in the silences around the music,
		// or in the trailing noise.
		quiet := []span{
			{0, spans[0].start - tol},
			{spans[1].end + tol, time.Duration(len(pcm)) * time.Second / time.Duration(rate)},
		}
		for _, ev := range evs {
			for _, q := range quiet {
				if ev.Kind == VADOnset && ev.At >= q.start && ev.At < q.end {
					t.Errorf("rate %d: onset at %v in line noise %v", rate, ev.At, q)
				}
			}
		}
		if len(evs)%2 != 0 || evs[len(evs)-1].Kind != VADOffset {
			t.Errorf("rate %d: events do not pair up into onset/offset: %v", rate, evs)
		}
	}
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// TestVADIgnoresHissAndTones checks the spectral and zero-crossing gates: loud white noise
// (flat spectrum, high ZCR) and a low hum (energy outside the speech band) never count as
// speech even though they are far above the floor.
func TestVADIgnoresHissAndTones(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, rate := range []int{8000, 16000} {
		quiet := noise(rng, rate, time.Second)
		hiss := make([]int16, rate*2)
		for i := range hiss {
			hiss[i] = int16(max(-32767, min(32767, rng.NormFloat64()*6000)))
		}
		hum := make([]int16, rate*2)
		for i := range hum {
			hum[i] = int16(8000 * math.Sin(2*math.Pi*60*float64(i)/float64(rate)))
		}
		pcm := append(append(append([]int16(nil), quiet...), hiss...), append(quiet, hum...)...)
		if evs := runVAD(t, rate, pcm); len(evs) != 0 {
			t.Errorf("rate %d: hiss and hum produced events %v", rate, evs)
		}
	}
}

func TestVADRejectsOtherRates(t *testing.T) {
	if _, err := NewVAD(44100, VADConfig{}); err == nil {
		t.Fatal("NewVAD(44100) succeeded, want ErrBadAudio")
	}
}

func TestVADPushDoesNotAllocate(t *testing.T) {
	v, err := NewVAD(8000, VADConfig{})
	if err != nil {
		t.Fatal(err)
	}
	frame := make([]int16, 160)
	for i := range frame {
		frame[i] = int16(3000 * math.Sin(float64(i)*0.3))
	}
	if n := testing.AllocsPerRun(200, func() { v.Push(frame) }); n != 0 {
		t.Fatalf("Push allocates %.1f times per frame, want 0", n)
	}
	seg, err := NewSegmenter(8000, SegmenterConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(200, func() { seg.Push(frame) }); n > 0.05 {
		t.Fatalf("Segmenter.Push allocates %.2f times per frame in steady state", n)
	}
}

func BenchmarkVADPush8k(b *testing.B)  { benchVAD(b, 8000) }
func BenchmarkVADPush16k(b *testing.B) { benchVAD(b, 16000) }

func benchVAD(b *testing.B, rate int) {
	v, err := NewVAD(rate, VADConfig{})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	frame := make([]int16, rate/50)
	for i := range frame {
		frame[i] = int16(rng.NormFloat64() * 2000)
	}
	b.ReportAllocs()
	for b.Loop() {
		v.Push(frame)
	}
}
