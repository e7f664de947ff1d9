package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/holdslayer/holdslayer/app"
	"github.com/holdslayer/holdslayer/app/clock"
	"github.com/holdslayer/holdslayer/ari"
	"github.com/holdslayer/holdslayer/ari/aritest"
	"github.com/holdslayer/holdslayer/classifier"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkConcurrentCalls holds N calls at once in real time, each on hold music from the
// simulated Asterisk, and runs every call's media through the real path: snoop and
// externalMedia over ARI, RTP over loopback UDP into the adapter's media session (jitter buffer,
// slin16 decode, clock-paced frames) and the classifier analyzer the engine uses. One op is one
// second of audio on every call. Reported:
//   - cpu-ms/call-s: process CPU per second of one call. The simulated Asterisk (mixing, snoop,
//     RTP out) runs in the same process and is included; listen=false measures it without the
//     listening path, so the difference is the service's cost.
//   - filled-%: frames played as silence because their packet was lost or late;
//   - dropped/call: frames the session dropped because the consumer fell behind.
func BenchmarkConcurrentCalls(b *testing.B) {
	for _, n := range benchSizes {
		for _, listen := range []bool{false, true} {
			b.Run(fmt.Sprintf("calls=%d/listen=%v", n, listen), func(b *testing.B) { benchCalls(b, n, listen) })
		}
	}
}

func benchCalls(b *testing.B, n int, listen bool) {
	clk := clock.Real{}
	log := slog.New(slog.DiscardHandler)
	const number = "+18005550150"
	sim, err := aritest.New(aritest.Options{
		Clock: clk, Log: log, SoundsDir: b.TempDir(),
		Scenarios: map[string]*aritest.Scenario{number: {Name: "Bench hold", Steps: []aritest.Step{
			{ID: "hold", Hold: &aritest.Hold{Duration: aritest.Duration(24 * time.Hour), Music: "macroform-cold_day"}},
		}}},
	})
	if err != nil {
		b.Fatal(err)
	}
	defer sim.Close()
	ctx := context.Background()
	ad, err := ari.New(ctx, ari.Options{URL: sim.URL(), User: "holdslayer", Password: "holdslayer", App: "holdslayer",
		Clock: clk, Log: log})
	if err != nil {
		b.Fatal(err)
	}
	defer ad.Close()
	for deadline := time.Now().Add(5 * time.Second); !ad.Ready(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatal("adapter not ready")
		}
	}
	factory := app.NewClassifierAnalyzer(classifier.Config{})
	var frames, filled atomic.Int64
	var wg sync.WaitGroup
	var sessions []app.Session
	var sources []*ari.RTPSource
	defer func() {
		for _, s := range sources {
			_ = s.Close()
		}
		for _, s := range sessions {
			_ = s.Close(context.Background())
		}
		wg.Wait()
	}()
	for i := 0; i < n; i++ {
		sess, err := ad.Open(ctx, fmt.Sprintf("bench-%d", i))
		if err != nil {
			b.Fatal(err)
		}
		sessions = append(sessions, sess)
		ch, err := sess.Originate(ctx, "PJSIP/"+number+"@trunk", app.OriginateOptions{Timeout: 30 * time.Second})
		if err != nil {
			b.Fatal(err)
		}
		for answered := false; !answered; {
			select {
			case ev := <-sess.Events():
				answered = ev.Kind == app.PBXAnswered && ev.ChannelID == ch
			case <-time.After(10 * time.Second):
				b.Fatal("company never answered")
			}
		}
		go func() {
			for range sess.Events() { // drained until Close
			}
		}()
		if !listen {
			continue
		}
		src, err := sess.Listen(ctx, ch)
		if err != nil {
			b.Fatal(err)
		}
		rtp := src.(*ari.RTPSource)
		sources = append(sources, rtp)
		an, err := factory(src.SampleRate())
		if err != nil {
			b.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for fr := range src.Frames() {
				an.Process(fr.Samples)
				frames.Add(1)
				if fr.Filled {
					filled.Add(1)
				}
			}
		}()
	}
	time.Sleep(time.Second) // every session's jitter buffer is primed
	stats0 := mediaTotals(sources)
	frames.Store(0)
	filled.Store(0)
	cpu0, t0 := cpuTime(), time.Now()
	b.ResetTimer()
	time.Sleep(time.Duration(b.N) * time.Second)
	b.StopTimer()
	cpu, wall := cpuTime()-cpu0, time.Since(t0)
	stats := mediaTotals(sources)
	callSeconds := float64(n) * wall.Seconds()
	b.ReportMetric(float64(cpu.Milliseconds())/callSeconds, "cpu-ms/call-s")
	b.ReportMetric(0, "ns/op")
	if listen {
		b.ReportMetric(100*float64(filled.Load())/max(float64(frames.Load()), 1), "filled-%")
		b.ReportMetric(float64(stats.Dropped-stats0.Dropped)/float64(n), "dropped/call")
		b.ReportMetric(float64(frames.Load())/callSeconds, "frames/call-s")
	}
}

func mediaTotals(srcs []*ari.RTPSource) ari.MediaStats {
	var t ari.MediaStats
	for _, s := range srcs {
		st := s.Stats()
		t.Frames += st.Frames
		t.Filled += st.Filled
		t.Dropped += st.Dropped
	}
	return t
}

// benchSizes are the call counts BenchmarkConcurrentCalls runs; 200 shows where one process
// on a two-core machine stands (run with -benchtime 3x).
var benchSizes = []int{10, 50, 200}
