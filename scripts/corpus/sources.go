package main

import (
	"fmt"
	"hash/fnv"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/holdslayer/holdslayer/app/audio"
)

const rate = 8000

// source is one piece of real or synthesised audio with its split.
type source struct {
	name    string
	split   string
	samples []int16
}

// splitOf assigns a source name to train or heldout (about 30 % held out).
func splitOf(name string) string {
	h := fnv.New32a()
	h.Write([]byte(name))
	if h.Sum32()%10 < 3 {
		return "heldout"
	}
	return "train"
}

func loadDir(dir string, limit int, minSec float64) ([]source, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.wav"))
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no wav files in %s (apt-get install asterisk-moh-opsound-wav asterisk-core-sounds-en-wav asterisk-core-sounds-en)", dir)
	}
	sort.Strings(paths)
	var out []source
	for _, p := range paths {
		pcm, err := audio.ReadFile(p)
		if err != nil {
			continue
		}
		s := audio.Resample(pcm.Samples, pcm.Rate, rate)
		if float64(len(s))/rate < minSec {
			continue
		}
		name := strings.TrimSuffix(filepath.Base(p), ".wav")
		out = append(out, source{name: name, split: splitOf(name), samples: s})
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	return out, nil
}

// mohSplit: hold music is split by file, fixed so both splits have music.
var mohHeldout = map[string]bool{"manolo_camp-morning_coffee": true, "reno_project-system": true}

// espeak voices: the held-out voices are never used for training.
var voices = []struct {
	voice, split string
}{
	{"en-us", "train"}, {"en-gb", "train"}, {"en+f3", "train"}, {"en-us+m3", "train"},
	{"en-gb-scotland", "train"}, {"en+f4", "heldout"}, {"en-029", "heldout"}, {"en-gb-x-rp+f2", "heldout"},
}

var sentences = []string{
	"Hello, thank you for calling customer service, my name is Sarah, how can I help you today?",
	"Hi there, this is Michael in billing. Can I start with your account number please?",
	"Good afternoon, you have reached the support desk, I am Daniel, what can I do for you?",
	"Thanks for waiting. I can see your order here, let me just check the delivery date for you.",
	"Yes, I understand. So you would like to change the address on the account, is that right?",
	"Okay, one moment please while I pull that up. Alright, I have it now.",
	"Could you spell your last name for me? And the postcode as well, please.",
	"Hello? Hi, sorry about the wait today, it has been really busy. How can I help?",
	"This is Jennifer speaking. I will be happy to look into that refund for you.",
	"Right, so the charge on the fourth of March was for the annual renewal.",
}

// espeak renders text with a voice and speed into 8 kHz samples.
func espeak(voice, text string, speed int) ([]int16, error) {
	f, err := os.CreateTemp("", "espeak-*.wav")
	if err != nil {
		return nil, fmt.Errorf("temp file: %w", err)
	}
	f.Close()
	defer os.Remove(f.Name())
	cmd := exec.Command("espeak-ng", "-v", voice, "-s", fmt.Sprint(speed), "-w", f.Name(), text)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("espeak-ng -v %s: %w: %s", voice, err, out)
	}
	pcm, err := audio.ReadFile(f.Name())
	if err != nil {
		return nil, err
	}
	return audio.Resample(pcm.Samples, pcm.Rate, rate), nil
}

// gsmRoundTrip passes samples through the GSM 06.10 codec with sox.
func gsmRoundTrip(s []int16) ([]int16, error) {
	dir, err := os.MkdirTemp("", "gsm")
	if err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	in, gsm, back := filepath.Join(dir, "in.wav"), filepath.Join(dir, "x.gsm"), filepath.Join(dir, "out.wav")
	if err := audio.WriteFile(in, s, rate); err != nil {
		return nil, err
	}
	if out, err := exec.Command("sox", in, "-t", "gsm", gsm).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("sox to gsm: %w: %s", err, out)
	}
	if out, err := exec.Command("sox", "-t", "gsm", gsm, "-b", "16", back).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("sox from gsm: %w: %s", err, out)
	}
	pcm, err := audio.ReadFile(back)
	if err != nil {
		return nil, err
	}
	return pcm.Samples, nil
}

// Agent voices for the timelines: an espeak base voice with a variant. The
// held-out split uses base voices and variants the train split never uses.
var (
	agentBases    = map[string][]string{"train": {"en-us", "en-gb", "en-gb-scotland", "en-gb-x-gbclan", "en-us-nyc"}, "heldout": {"en-029", "en-gb-x-rp", "en-gb-x-gbcwmd"}}
	agentVariants = map[string][]string{"train": {"", "m1", "m3", "m6", "f1", "f3", "f5", "klatt", "edward", "linda"}, "heldout": {"m2", "m4", "f2", "f4", "klatt2", "Annie", "david"}}
)

// agentVoiceList is every base+variant voice of a split.
func agentVoiceList(split string) []string {
	var out []string
	for _, b := range agentBases[split] {
		for _, v := range agentVariants[split] {
			if v == "" {
				out = append(out, b)
			} else {
				out = append(out, b+"+"+v)
			}
		}
	}
	return out
}

// announcerVoices read the hold announcements in some calls (others use the
// recorded prompts); split like the agents, and never an agent's voice.
var announcerVoices = map[string][]string{"train": {"en-us+m7", "en-gb+f5"}, "heldout": {"en-gb-x-rp+m5", "en-029+f2"}}

var announcements = []string{
	"Your call is important to us. Please stay on the line and the next available agent will be with you shortly.",
	"Thank you for holding. All of our representatives are currently busy assisting other customers.",
	"Did you know you can manage your account online? Visit our website any time.",
	"We are experiencing higher than normal call volumes. Please continue to hold.",
}

// greetingWords are recorded prompt files a greeting can be built from.
var greetingWords = []string{"hello", "im-sorry", "one-moment-please", "auth-thankyou", "privacy-thankyou",
	"sorry", "demo-thanks", "queue-thankyou", "your", "telephone-number", "extension", "hello-world", "goodbye", "number"}

// espeakP renders text with a voice, speed and pitch into 8 kHz samples.
func espeakP(voice, text string, speed, pitch int) ([]int16, error) {
	f, err := os.CreateTemp("", "espeak-*.wav")
	if err != nil {
		return nil, fmt.Errorf("temp file: %w", err)
	}
	f.Close()
	defer os.Remove(f.Name())
	cmd := exec.Command("espeak-ng", "-v", voice, "-s", fmt.Sprint(speed), "-p", fmt.Sprint(pitch), "-w", f.Name(), text)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("espeak-ng -v %s: %w: %s", voice, err, out)
	}
	pcm, err := audio.ReadFile(f.Name())
	if err != nil {
		return nil, err
	}
	return audio.Resample(pcm.Samples, pcm.Rate, rate), nil
}

// soxShift changes pitch (cents) and tempo with sox; -R seeds sox's random
// generators and -D turns dither off, so the output is repeatable.
func soxShift(s []int16, sh shift) ([]int16, error) {
	dir, err := os.MkdirTemp("", "shift")
	if err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	in, back := filepath.Join(dir, "in.wav"), filepath.Join(dir, "out.wav")
	if err := audio.WriteFile(in, s, rate); err != nil {
		return nil, err
	}
	if out, err := exec.Command("sox", "-R", "-D", in, back, "pitch", fmt.Sprintf("%.0f", sh.cents), "tempo", "-s", fmt.Sprintf("%.3f", sh.tempo)).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("sox pitch/tempo: %w: %s", err, out)
	}
	pcm, err := audio.ReadFile(back)
	if err != nil {
		return nil, err
	}
	return pcm.Samples, nil
}
