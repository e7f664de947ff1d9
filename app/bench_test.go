package app_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/holdslayer/holdslayer/app"
	"github.com/holdslayer/holdslayer/app/store"
	"github.com/holdslayer/holdslayer/classifier"
	"github.com/holdslayer/holdslayer/internal/debsounds"
)

// BenchmarkCallFramePath measures one call's per-frame cost in the engine: the call goroutine
// receiving a 20 ms frame, the real classifier pipeline and the classification bookkeeping.
// A call needs 50 frames a second, so 1 s / (50 * ns/op) is the number of calls one core holds
// on the audio path.
func BenchmarkCallFramePath(b *testing.B) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(context.Background(), b.TempDir()+"/hs.db", log)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	pbx := newFakePBX()
	eng := app.NewEngine(app.EngineConfig{PBX: pbx, Store: st, Log: log, Analyzer: app.NewClassifierAnalyzer(classifier.Config{})})
	c, err := eng.Place(context.Background(), app.CallRequest{Number: company, Mode: app.ModeHoldSlayer})
	if err != nil {
		b.Fatal(err)
	}
	s := pbx.session(c.ID)
	var co string
	for co == "" {
		if ch, ok := s.channelTo(companyEP); ok {
			co = ch.id
		}
		time.Sleep(time.Millisecond)
	}
	s.FarAnswer(co)
	var src *fakeSource
	for src == nil {
		s.mu.Lock()
		if len(s.sources) > 0 {
			src = s.sources[0]
		}
		s.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
	music := readWAV(b, debsounds.MOHDir+"/macroform-cold_day.wav")[:8000*20]
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if i+160 > len(music) {
			i = 0
		}
		src.push(app.AudioFrame{Samples: music[i : i+160]})
		i += 160
	}
	for len(src.frames) > 0 {
		time.Sleep(100 * time.Microsecond)
	}
	b.StopTimer()
	if err := eng.Shutdown(context.Background()); err != nil {
		b.Fatal(err)
	}
}
