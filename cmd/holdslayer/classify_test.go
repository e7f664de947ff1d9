package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/holdslayer/holdslayer/app/audio"
	"github.com/holdslayer/holdslayer/internal/debsounds"
)

func writeTone(t *testing.T, dir, name string, rate int) string {
	t.Helper()
	s := make([]int16, 3*rate)
	for i := range s {
		if (i/(rate/4))%2 == 0 { // 480+620 Hz reorder cadence
			tt := float64(i) / float64(rate)
			s[i] = int16(6000 * (math.Sin(2*math.Pi*480*tt) + math.Sin(2*math.Pi*620*tt)))
		}
	}
	path := filepath.Join(dir, name)
	if err := audio.WriteFile(path, s, rate); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestClassifyTextAndErrors(t *testing.T) {
	dir := t.TempDir()
	good := writeTone(t, dir, "reorder.wav", 16000)
	bad := filepath.Join(dir, "broken.wav")
	os.WriteFile(bad, []byte("RIFF....WAVEjunk"), 0o600)
	missing := filepath.Join(dir, "missing.wav")
	var out, errb bytes.Buffer
	code := runClassify([]string{bad, good, missing}, &out, &errb)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(out.String(), "reorder.wav") || !strings.Contains(out.String(), "busy") {
		t.Errorf("good file not reported:\n%s", out.String())
	}
	for _, name := range []string{"broken.wav", "missing.wav"} {
		if !strings.Contains(errb.String(), name) {
			t.Errorf("stderr does not name %s:\n%s", name, errb.String())
		}
	}
}

func TestClassifyJSON(t *testing.T) {
	dir := t.TempDir()
	a := writeTone(t, dir, "a.wav", 8000)
	b := writeTone(t, dir, "b.wav", 44100)
	var out, errb bytes.Buffer
	if code := runClassify([]string{"--json", a, b}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines, got %q", out.String())
	}
	for _, l := range lines {
		var rep struct {
			File     string  `json:"file"`
			Duration float64 `json:"duration"`
			Segments []struct {
				Start, End, Confidence float64
				Label                  string
			} `json:"segments"`
			Events []map[string]any `json:"events"`
		}
		if err := json.Unmarshal([]byte(l), &rep); err != nil {
			t.Fatalf("bad json %q: %v", l, err)
		}
		if math.Abs(rep.Duration-3) > 0.01 || len(rep.Segments) == 0 || rep.Events == nil {
			t.Errorf("report %+v", rep)
		}
		last := rep.Segments[len(rep.Segments)-1]
		if last.End > rep.Duration+1e-9 || last.Label != "busy" {
			t.Errorf("last segment %+v", last)
		}
	}
}

func TestClassifyUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := runClassify(nil, &out, &errb); code != 2 || !strings.Contains(errb.String(), "usage") {
		t.Errorf("exit %d stderr %q", code, errb.String())
	}
}

// A recording of hold music, a pause and a voice gives both events, the
// human one with its evidence in seconds under plain names.
func TestClassifyJSONHumanEvidence(t *testing.T) {
	music, err := audio.ReadFile(debsounds.MOHDir + "/macroform-the_simplicity.wav")
	if err != nil {
		t.Skipf("asterisk-moh-opsound-wav not installed: %v", err)
	}
	voice, err := audio.ReadFile(debsounds.CoreDir + "/demo-congrats.wav")
	if err != nil {
		t.Skipf("asterisk-core-sounds-en-wav and asterisk-core-sounds-en not installed: %v", err)
	}
	s := append(append(append([]int16{}, music.Samples[:15*8000]...), make([]int16, 5600)...), voice.Samples...)
	path := filepath.Join(t.TempDir(), "call.wav")
	if err := audio.WriteFile(path, s, 8000); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := runClassify([]string{"--json", path}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var rep struct {
		Events []struct {
			Type     string         `json:"type"`
			Onset    float64        `json:"onset"`
			Evidence map[string]any `json:"evidence"`
		} `json:"events"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range rep.Events {
		types = append(types, e.Type)
		if e.Type != "human_detected" {
			continue
		}
		if math.Abs(e.Onset-15.7) > 0.5 {
			t.Errorf("human onset %.2f s, the voice starts at 15.7 s", e.Onset)
		}
		hold, _ := e.Evidence["hold_duration"].(float64)
		if hold < 5 || hold > 16 || e.Evidence["hold_audio"] != "music" || e.Evidence["fast_path"] == nil {
			t.Errorf("evidence %v: want hold_duration in seconds, hold_audio music, fast_path", e.Evidence)
		}
	}
	if strings.Join(types, ",") != "hold_detected,human_detected" {
		t.Errorf("events %v, want hold_detected then human_detected", types)
	}
}
