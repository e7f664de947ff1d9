package speech

import (
	"context"
	"encoding/binary"
	"errors"
	"os/exec"
	"testing"
	"time"

	"github.com/holdslayer/holdslayer/app/speech/oaitest"
)

func TestEspeakSynthesize(t *testing.T) {
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Skip("espeak-ng is not installed (Debian package espeak-ng); skipping TTS test")
	}
	e := NewEspeak(EspeakConfig{Rate: 8000})
	if err := e.Available(); err != nil {
		t.Fatal(err)
	}
	pcm, rate, err := e.Synthesize(context.Background(), "-- Hi, are you a live representative?")
	if err != nil {
		t.Fatal(err)
	}
	if rate != 8000 {
		t.Fatalf("rate %d", rate)
	}
	d := time.Duration(len(pcm)) * time.Second / time.Duration(rate)
	if d < time.Second || d > 5*time.Second {
		t.Fatalf("speech lasts %v", d)
	}
	// What espeak says must look like speech to our own VAD.
	v, _ := NewVAD(8000, VADConfig{})
	pcm = append(make([]int16, 8000), pcm...)
	onsets := 0
	for i := 0; i+160 <= len(pcm); i += 160 {
		if v.Push(pcm[i:i+160]).Kind == VADOnset {
			onsets++
		}
	}
	if onsets == 0 {
		t.Fatal("VAD heard no speech in espeak output")
	}
	if _, _, err := e.Synthesize(context.Background(), "  "); !errors.Is(err, ErrBadAudio) {
		t.Fatalf("empty text: %v", err)
	}
}

func TestEspeakMissingBinary(t *testing.T) {
	e := NewEspeak(EspeakConfig{Binary: "/nonexistent/espeak-ng"})
	if err := e.Available(); !errors.Is(err, ErrTTSUnavailable) {
		t.Fatalf("Available: %v", err)
	}
	if _, _, err := e.Synthesize(context.Background(), "hello"); !errors.Is(err, ErrTTSUnavailable) {
		t.Fatalf("Synthesize: %v", err)
	}
}

func TestOpenAITTSWAVAndPCM(t *testing.T) {
	srv := oaitest.New(t)
	pcmBody := make([]byte, 2*2400)
	binary.LittleEndian.PutUint16(pcmBody[0:], uint16(1234))
	srv.ScriptTTS(
		oaitest.Reply{Status: 500},
		oaitest.Reply{Audio: oaitest.Silence(24000, 500*time.Millisecond)},
		oaitest.Reply{Audio: pcmBody, ContentType: "audio/pcm"},
	)
	tts, err := NewOpenAITTS(OpenAITTSConfig{APIKey: "k", BaseURL: srv.BaseURL(), Voice: "nova", Retries: 1, Backoff: time.Millisecond, Rate: 8000})
	if err != nil {
		t.Fatal(err)
	}
	pcm, rate, err := tts.Synthesize(context.Background(), "One moment, connecting the customer.")
	if err != nil {
		t.Fatal(err)
	}
	if rate != 8000 || len(pcm) != 4000 {
		t.Fatalf("got %d samples at %d Hz, want 4000 at 8000", len(pcm), rate)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2 (one retry)", len(reqs))
	}
	b := reqs[1].Body
	if b["model"] != DefaultTTSModel || b["voice"] != "nova" || b["response_format"] != "wav" || b["input"] != "One moment, connecting the customer." {
		t.Fatalf("request body %v", b)
	}

	raw, err := NewOpenAITTS(OpenAITTSConfig{BaseURL: srv.BaseURL(), Format: "pcm"})
	if err != nil {
		t.Fatal(err)
	}
	pcm, rate, err = raw.Synthesize(context.Background(), "hello")
	if err != nil {
		t.Fatal(err)
	}
	if rate != 24000 || len(pcm) != 2400 || pcm[0] != 1234 {
		t.Fatalf("pcm: %d samples at %d, first %d", len(pcm), rate, pcm[0])
	}
	if f := srv.Requests()[2].Body["response_format"]; f != "pcm" {
		t.Fatalf("response_format %v", f)
	}
	// Script exhausted: 500 with no retries left -> unavailable.
	if _, _, err := raw.Synthesize(context.Background(), "again"); !errors.Is(err, ErrTTSUnavailable) {
		t.Fatalf("err %v", err)
	}
	if _, err := NewOpenAITTS(OpenAITTSConfig{Format: "mp3"}); err == nil {
		t.Fatal("mp3 accepted")
	}
}
