package notify

import (
	"time"

	"github.com/holdslayer/holdslayer/app"
)

// callState is what the notifier remembers about one live call: who was called, which device
// it goes to, and how long it has been on hold (for the hold_longer_than rules).
type callState struct {
	info      callInfo
	looked    bool      // the optional CallLookup was consulted
	holdSince time.Time // zero when not on hold
	held      time.Duration
	fired     map[int]bool // hold thresholds (minutes) already notified
	lastSeen  time.Time
}

func (s *callState) holdAt(now time.Time) time.Duration {
	d := s.held
	if !s.holdSince.IsZero() && now.After(s.holdSince) {
		d += now.Sub(s.holdSince)
	}
	return d
}

// callTable tracks calls from their events. Only the notifier's Run goroutine touches it.
type callTable struct {
	calls map[string]*callState
}

func newCallTable() *callTable { return &callTable{calls: map[string]*callState{}} }

// holdStoppers end a hold period: a person answered, the call moves on, or it is over.
var holdStoppers = map[app.EventType]bool{
	app.EventHumanDetected:    true,
	app.EventTransferStarted:  true,
	app.EventTransferComplete: true,
	app.EventCallEnded:        true,
	app.EventCallFailed:       true,
}

// observe updates the call's state from ev (whose Timestamp must be set) and returns it.
func (c *callTable) observe(ev app.Event) *callState {
	s := c.calls[ev.CallID]
	if s == nil {
		s = &callState{fired: map[int]bool{}}
		c.calls[ev.CallID] = s
	}
	s.lastSeen = ev.Timestamp
	if v := str(ev.Data, "number"); v != "" {
		s.info.Number = v
	}
	if v := str(ev.Data, "company"); v != "" {
		s.info.Company = v
	}
	if v := str(ev.Data, "device"); v != "" {
		s.info.Device = v
	}
	if v := str(ev.Data, "device_id"); v != "" {
		s.info.DeviceID = v
	}
	startHold := ev.Type == app.EventHoldDetected
	stopHold := holdStoppers[ev.Type]
	if ev.Type == app.EventStatusChanged {
		if st := app.CallStatus(str(ev.Data, "status")); st != "" {
			startHold = st == app.StatusOnHold
			stopHold = !startHold
		}
	}
	switch {
	case startHold && s.holdSince.IsZero():
		s.holdSince = ev.Timestamp
	case stopHold && !s.holdSince.IsZero():
		s.held = s.holdAt(ev.Timestamp)
		s.holdSince = time.Time{}
	}
	s.info.Hold = s.holdAt(ev.Timestamp)
	return s
}

// holdFiring is one hold threshold crossed by one call.
type holdFiring struct {
	callID  string
	minutes int
	info    callInfo
}

// due returns, once per call and threshold, the calls on hold for at least one of thresholds
// minutes at now. A call that left hold before a check does not fire: the user no longer
// needs to hear that it is "still on hold".
func (c *callTable) due(now time.Time, thresholds []int) []holdFiring {
	var out []holdFiring
	for id, s := range c.calls {
		if s.holdSince.IsZero() {
			continue
		}
		held := s.holdAt(now)
		for _, m := range thresholds {
			if s.fired[m] || held < time.Duration(m)*time.Minute {
				continue
			}
			s.fired[m] = true
			info := s.info
			info.Hold = held
			out = append(out, holdFiring{callID: id, minutes: m, info: info})
		}
	}
	return out
}

func (c *callTable) forget(callID string) { delete(c.calls, callID) }

// sweep drops calls not heard from since before cutoff (their end event was missed).
func (c *callTable) sweep(cutoff time.Time) {
	for id, s := range c.calls {
		if s.lastSeen.Before(cutoff) {
			delete(c.calls, id)
		}
	}
}
