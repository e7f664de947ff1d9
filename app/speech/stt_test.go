package speech

import (
	"context"
	"errors"
	"math"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/holdslayer/holdslayer/app/speech/oaitest"
)

func tone(rate int, d time.Duration) []int16 {
	n := int(d.Seconds() * float64(rate))
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(4000 * math.Sin(2*math.Pi*440*float64(i)/float64(rate)))
	}
	return out
}

func newSTT(t *testing.T, srv *oaitest.Server, mod func(*STTConfig)) *OpenAISTT {
	t.Helper()
	cfg := STTConfig{APIKey: "sk-test", BaseURL: srv.BaseURL(), Language: "en", Timeout: 2 * time.Second,
		Retries: 2, Backoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}
	if mod != nil {
		mod(&cfg)
	}
	s, err := NewOpenAISTT(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTranscribeSendsSixteenKilohertzWAV(t *testing.T) {
	srv := oaitest.New(t)
	srv.ScriptSTT(oaitest.Reply{Text: " For billing, press two. "})
	stt := newSTT(t, srv, nil)
	in := tone(8000, 1500*time.Millisecond)
	tr, err := stt.Transcribe(context.Background(), in, 8000)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Text != "For billing, press two." || tr.Attempts != 1 || tr.Model != "whisper-1" {
		t.Fatalf("transcript %+v", tr)
	}
	if tr.Audio != 1500*time.Millisecond {
		t.Fatalf("audio length %v", tr.Audio)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	if r.Path != "/v1/audio/transcriptions" || r.Model != "whisper-1" || r.Auth != "Bearer sk-test" || r.Fields["language"] != "en" {
		t.Fatalf("request %+v", r)
	}
	w := r.WAV
	if w == nil || !w.HeaderOK || w.Format != 1 || w.Channels != 1 || w.Rate != 16000 || w.Bits != 16 {
		t.Fatalf("uploaded file %+v, want a 16 kHz mono 16-bit PCM wav", w)
	}
	if want := 2 * 2 * len(in); w.DataBytes != want {
		t.Fatalf("data bytes %d, want %d (resampled 8k->16k)", w.DataBytes, want)
	}
	if w.FileName != "utterance.wav" {
		t.Fatalf("file name %q", w.FileName)
	}
}

func TestTranscribeRetriesRateLimitAndServerErrors(t *testing.T) {
	srv := oaitest.New(t)
	srv.ScriptSTT(oaitest.Reply{Status: 429, RetryAfter: "0"}, oaitest.Reply{Status: 500}, oaitest.Reply{Text: "please hold"})
	stt := newSTT(t, srv, nil)
	tr, err := stt.Transcribe(context.Background(), tone(16000, time.Second), 16000)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Text != "please hold" || tr.Attempts != 3 || len(srv.Requests()) != 3 {
		t.Fatalf("transcript %+v after %d requests", tr, len(srv.Requests()))
	}
	if !stt.Healthy() {
		t.Fatal("unhealthy after a success")
	}
}

func TestTranscribeGivesUpAndDegrades(t *testing.T) {
	srv := oaitest.New(t)
	srv.ScriptSTT(oaitest.Reply{Status: 503}, oaitest.Reply{Status: 502}, oaitest.Reply{Status: 500}, oaitest.Reply{Text: "back"})
	var mu sync.Mutex
	now := time.Unix(1000, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	stt := newSTT(t, srv, func(c *STTConfig) { c.Now = clock; c.Cooldown = time.Minute })
	_, err := stt.Transcribe(context.Background(), tone(8000, time.Second), 8000)
	if !errors.Is(err, ErrSTTUnavailable) {
		t.Fatalf("err %v, want ErrSTTUnavailable", err)
	}
	var se *ServiceError
	if !errors.As(err, &se) || se.Status != 500 || se.Attempts != 3 {
		t.Fatalf("service error %+v", se)
	}
	if stt.Healthy() {
		t.Fatal("healthy after exhausting retries")
	}
	// In the cooldown: fails fast, no request.
	if _, err := stt.Transcribe(context.Background(), tone(8000, time.Second), 8000); !errors.Is(err, ErrSTTUnavailable) {
		t.Fatalf("cooldown err %v", err)
	}
	if n := len(srv.Requests()); n != 3 {
		t.Fatalf("%d requests during cooldown, want 3", n)
	}
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	tr, err := stt.Transcribe(context.Background(), tone(8000, time.Second), 8000)
	if err != nil || tr.Text != "back" || !stt.Healthy() {
		t.Fatalf("after cooldown: %+v %v healthy=%v", tr, err, stt.Healthy())
	}
}

func TestTranscribeTimeout(t *testing.T) {
	srv := oaitest.New(t)
	srv.ScriptSTT(oaitest.Reply{Delay: time.Second, Text: "late"}, oaitest.Reply{Delay: time.Second, Text: "late"})
	stt := newSTT(t, srv, func(c *STTConfig) { c.Timeout = 100 * time.Millisecond; c.Retries = 1 })
	start := time.Now()
	_, err := stt.Transcribe(context.Background(), tone(8000, time.Second), 8000)
	if !errors.Is(err, ErrSTTUnavailable) {
		t.Fatalf("err %v, want ErrSTTUnavailable", err)
	}
	if el := time.Since(start); el > 900*time.Millisecond {
		t.Fatalf("took %v; the per-attempt timeout was not applied", el)
	}
	if n := len(srv.Requests()); n != 2 {
		t.Fatalf("%d attempts, want 2", n)
	}
}

func TestTranscribePermanentErrors(t *testing.T) {
	srv := oaitest.New(t)
	srv.ScriptSTT(oaitest.Reply{Status: 400}, oaitest.Reply{Status: 401})
	stt := newSTT(t, srv, nil)
	_, err := stt.Transcribe(context.Background(), tone(8000, time.Second), 8000)
	if !errors.Is(err, ErrRejected) || errors.Is(err, ErrSTTUnavailable) {
		t.Fatalf("400: err %v, want ErrRejected only", err)
	}
	if !stt.Healthy() {
		t.Fatal("a rejected utterance must not mark the service down")
	}
	_, err = stt.Transcribe(context.Background(), tone(8000, time.Second), 8000)
	if !errors.Is(err, ErrSTTUnavailable) {
		t.Fatalf("401: err %v, want ErrSTTUnavailable", err)
	}
	if n := len(srv.Requests()); n != 2 {
		t.Fatalf("%d requests, want 2 (no retries on 4xx)", n)
	}
	if _, err := stt.Transcribe(context.Background(), nil, 8000); !errors.Is(err, ErrBadAudio) {
		t.Fatalf("empty audio: %v", err)
	}
}

func TestTranscribeServerDown(t *testing.T) {
	srv := oaitest.New(t)
	url := srv.BaseURL()
	srv.Close()
	stt, err := NewOpenAISTT(STTConfig{BaseURL: url, Retries: 1, Backoff: time.Millisecond, HTTPClient: &http.Client{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stt.Transcribe(context.Background(), tone(8000, 500*time.Millisecond), 8000); !errors.Is(err, ErrSTTUnavailable) {
		t.Fatalf("err %v, want ErrSTTUnavailable", err)
	}
	if stt.Health().ConsecutiveFailures != 1 {
		t.Fatalf("health %+v", stt.Health())
	}
}

func TestTranscribeCallerCancel(t *testing.T) {
	srv := oaitest.New(t)
	srv.ScriptSTT(oaitest.Reply{Delay: 2 * time.Second})
	stt := newSTT(t, srv, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := stt.Transcribe(ctx, tone(8000, time.Second), 8000)
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrSTTUnavailable) {
		t.Fatalf("err %v: a caller's cancel is not the service being down", err)
	}
	if !stt.Healthy() {
		t.Fatal("caller cancel marked the service down")
	}
}
