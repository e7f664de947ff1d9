package clock

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestScaledTimerAndNowAgree: a timer of d fires after about d/speed of real time, and by then
// the clock's Now has advanced by at least d, so pacing and timeouts measured on it agree.
func TestScaledTimerAndNowAgree(t *testing.T) {
	c := NewScaled(20)
	if c.Speed() != 20 {
		t.Fatalf("speed %v", c.Speed())
	}
	start, realStart := c.Now(), time.Now()
	tm := c.NewTimer(2 * time.Second)
	fired := <-tm.C()
	realElapsed := time.Since(realStart)
	if realElapsed < 90*time.Millisecond || realElapsed > 2*time.Second {
		t.Errorf("a 2 s timer at 20x took %v of real time, want about 100 ms", realElapsed)
	}
	if got := fired.Sub(start); got < 2*time.Second {
		t.Errorf("timer fired at clock +%v, before +2s", got)
	}
	if tm.Stop() {
		t.Error("Stop on a fired timer reported it stopped a pending one")
	}
}

// TestScaledTickerAndStop: a ticker delivers at its accelerated period and stops delivering.
func TestScaledTickerAndStop(t *testing.T) {
	c := NewScaled(50)
	tk := c.NewTicker(time.Second) // 20 ms of real time
	for i := 0; i < 3; i++ {
		select {
		case <-tk.C():
		case <-time.After(2 * time.Second):
			t.Fatalf("tick %d never came", i)
		}
	}
	tk.Stop()
	tk.Stop() // idempotent
	select {
	case <-tk.C(): // at most one tick may already be buffered
	default:
	}
	select {
	case <-tk.C():
		t.Error("ticker still ticking after Stop")
	case <-time.After(100 * time.Millisecond):
	}
}

// TestSleepEndsWithContext: Sleep returns the context's error as soon as it is cancelled.
func TestSleepEndsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, Real{}, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sleep = %v, want context.Canceled", err)
	}
	if err := Sleep(context.Background(), NewScaled(1000), time.Second); err != nil {
		t.Fatalf("Sleep = %v", err)
	}
}
