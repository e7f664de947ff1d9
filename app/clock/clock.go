// Package clock lets the engine, the ARI adapter and the simulated Asterisk share one notion of
// time: real time in production and the demo, an accelerated clock in tests so a two-minute hold
// runs in seconds with media pacing and timeouts still consistent with each other.
package clock

import (
	"context"
	"time"
)

// Clock is the source of time and timers for everything that paces or times out calls.
type Clock interface {
	Now() time.Time
	// NewTimer fires once after d of clock time.
	NewTimer(d time.Duration) Timer
	// NewTicker fires every d of clock time.
	NewTicker(d time.Duration) Ticker
	// Speed is how many clock seconds pass per real second (1 for the real clock).
	Speed() float64
}

// Timer is a stoppable one-shot timer.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
	Reset(d time.Duration) bool
}

// Ticker is a stoppable periodic timer.
type Ticker interface {
	C() <-chan time.Time
	Stop()
}

// Real is the wall clock.
type Real struct{}

// Now returns the wall-clock time.
func (Real) Now() time.Time { return time.Now() }

// NewTimer wraps time.NewTimer.
func (Real) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

// NewTicker wraps time.NewTicker.
func (Real) NewTicker(d time.Duration) Ticker { return realTicker{time.NewTicker(d)} }

// Speed is 1: real time.
func (Real) Speed() float64 { return 1 }

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time        { return r.t.C }
func (r realTimer) Stop() bool                 { return r.t.Stop() }
func (r realTimer) Reset(d time.Duration) bool { return r.t.Reset(d) }

type realTicker struct{ t *time.Ticker }

func (r realTicker) C() <-chan time.Time { return r.t.C }
func (r realTicker) Stop()               { r.t.Stop() }

// Scaled runs Speed times faster than real time from its start. Clock time and timers agree:
// a timer of d fires after d/Speed of real time, and Now has advanced by d by then.
type Scaled struct {
	speed float64
	base  time.Time // clock time at start
	start time.Time // real time at start (carries the monotonic reading)
}

// NewScaled returns a clock that starts now and runs speed times faster than real time.
func NewScaled(speed float64) *Scaled {
	if speed <= 0 {
		speed = 1
	}
	now := time.Now()
	return &Scaled{speed: speed, base: now.Round(0), start: now}
}

// Now returns the accelerated time.
func (s *Scaled) Now() time.Time {
	return s.base.Add(time.Duration(float64(time.Since(s.start)) * s.speed))
}

func (s *Scaled) real(d time.Duration) time.Duration {
	return time.Duration(float64(d) / s.speed)
}

// NewTimer fires after d of accelerated time.
func (s *Scaled) NewTimer(d time.Duration) Timer {
	st := &scaledTimer{s: s, c: make(chan time.Time, 1)}
	st.t = time.AfterFunc(s.real(d), st.fire)
	return st
}

// NewTicker fires every d of accelerated time.
func (s *Scaled) NewTicker(d time.Duration) Ticker {
	st := &scaledTicker{c: make(chan time.Time, 1), t: time.NewTicker(s.real(d)), done: make(chan struct{})}
	go func() {
		for {
			select {
			case <-st.t.C:
				select {
				case st.c <- s.Now():
				default:
				}
			case <-st.done:
				return
			}
		}
	}()
	return st
}

// Speed is the acceleration factor.
func (s *Scaled) Speed() float64 { return s.speed }

type scaledTimer struct {
	s *Scaled
	t *time.Timer
	c chan time.Time
}

func (t *scaledTimer) fire() {
	select {
	case t.c <- t.s.Now():
	default:
	}
}
func (t *scaledTimer) C() <-chan time.Time { return t.c }
func (t *scaledTimer) Stop() bool          { return t.t.Stop() }
func (t *scaledTimer) Reset(d time.Duration) bool {
	return t.t.Reset(t.s.real(d))
}

type scaledTicker struct {
	c    chan time.Time
	t    *time.Ticker
	done chan struct{}
}

func (t *scaledTicker) C() <-chan time.Time { return t.c }
func (t *scaledTicker) Stop() {
	t.t.Stop()
	select {
	case <-t.done:
	default:
		close(t.done)
	}
}

// Sleep waits d of clock time or until ctx ends, whichever is first.
func Sleep(ctx context.Context, c Clock, d time.Duration) error {
	t := c.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
