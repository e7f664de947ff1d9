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
