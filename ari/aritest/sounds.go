package aritest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/holdslayer/holdslayer/app/audio"
	"github.com/holdslayer/holdslayer/internal/debsounds"
)

// Where the core sounds are looked for, in order (see debsounds.CoreDir); a variable so tests
// can take the packages away.
var coreSoundsDirs = []string{debsounds.CoreDir, debsounds.CoreVoiceDir}

// soundCache loads and renders audio once, as 8 kHz mono samples.
type soundCache struct {
	dir   string
	mu    sync.Mutex
	cache map[string][]int16
}

func newSoundCache(dir string) *soundCache {
	return &soundCache{dir: dir, cache: map[string][]int16{}}
}

func (sc *soundCache) get(key string, load func() ([]int16, error)) ([]int16, error) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if v, ok := sc.cache[key]; ok {
		return v, nil
	}
	v, err := load()
	if err != nil {
		return nil, err
	}
	sc.cache[key] = v
	return v, nil
}

// file reads a WAV file and converts it to 8 kHz.
func (sc *soundCache) file(path string) ([]int16, error) {
	return sc.get("file:"+path, func() ([]int16, error) {
		pcm, err := audio.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		return audio.Resample(pcm.Samples, pcm.Rate, 8000), nil
	})
}

// sound is an Asterisk core sound by name (e.g. "queue-periodic-announce").
func (sc *soundCache) sound(name string) ([]int16, error) {
	if strings.Contains(name, "..") {
		return nil, fmt.Errorf("bad sound name %q", name)
	}
	var err error
	for _, dir := range coreSoundsDirs {
		p := filepath.Join(dir, name+".wav")
		if _, err = os.Stat(p); err == nil {
			return sc.file(p)
		}
	}
	return nil, fmt.Errorf("sound %s: %w", name, err)
}

// moh returns a music-on-hold loop: a file from the moh directory by name, or the first one
// for "" / "default". With no music installed it falls back to a soft tone sequence.
func (sc *soundCache) moh(class string) []int16 {
	if class != "" && class != "default" {
		if smp, err := sc.file(filepath.Join(debsounds.MOHDir, class+".wav")); err == nil {
			return smp
		}
	}
	files, _ := filepath.Glob(filepath.Join(debsounds.MOHDir, "*.wav"))
	sort.Strings(files)
	if len(files) > 0 {
		if smp, err := sc.file(files[0]); err == nil {
			return smp
		}
	}
	return toneSamples("music", 8000)
}

// say renders text with espeak-ng (voice e.g. "en-us", "en-us+f3"), cached in the sounds dir.
func (sc *soundCache) say(text, voice string) ([]int16, error) {
	if voice == "" {
		voice = "en-us"
	}
	sum := sha256.Sum256([]byte(voice + "\x00" + text))
	name := filepath.Join(sc.dir, "say-"+hex.EncodeToString(sum[:8])+".wav")
	return sc.get("say:"+name, func() ([]int16, error) {
		if _, err := os.Stat(name); err != nil {
			if err := os.MkdirAll(sc.dir, 0o755); err != nil {
				return nil, fmt.Errorf("create sounds dir: %w", err)
			}
			tmp := name + ".tmp"
			out, err := exec.Command("espeak-ng", "-v", voice, "-s", "160", "-w", tmp, text).CombinedOutput()
			if err != nil {
				return nil, fmt.Errorf("espeak-ng %q: %w: %s", text, err, out)
			}
			if err := os.Rename(tmp, name); err != nil {
				return nil, fmt.Errorf("cache speech: %w", err)
			}
		}
		pcm, err := audio.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("read speech: %w", err)
		}
		return audio.Resample(pcm.Samples, pcm.Rate, 8000), nil
	})
}

func toneSamples(name string, rate int) []int16 {
	var out []int16
	add := func(ms int, amp float64, freqs ...float64) {
		n := rate * ms / 1000
		for i := 0; i < n; i++ {
			v := 0.0
			for _, f := range freqs {
				v += math.Sin(2 * math.Pi * f * float64(i) / float64(rate))
			}
			if len(freqs) > 0 {
				v /= float64(len(freqs))
			}
			out = append(out, int16(v*amp*32767))
		}
	}
	switch name {
	case "sit":
		add(274, 0.3, 913.8)
		add(274, 0.3, 1370.6)
		add(380, 0.3, 1776.7)
	case "busy":
		add(500, 0.3, 480, 620)
		add(500, 0)
	case "congestion":
		add(250, 0.3, 480, 620)
		add(250, 0)
	case "ring":
		add(2000, 0.3, 440, 480)
		add(4000, 0)
	case "music":
		for _, ch := range [][]float64{{261.6, 329.6, 392}, {220, 261.6, 329.6}, {174.6, 220, 261.6}, {196, 246.9, 293.7}} {
			add(1000, 0.2, ch...)
		}
	default:
		var hz float64
		if _, err := fmt.Sscanf(name, "%f", &hz); err == nil && hz > 0 {
			add(1000, 0.3, hz)
		} else {
			add(1000, 0)
		}
	}
	return out
}
