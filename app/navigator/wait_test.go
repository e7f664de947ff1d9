package navigator

import (
	"testing"
	"time"
)

func TestParseWaitEstimate(t *testing.T) {
	per := 2 * time.Minute
	cases := []struct {
		in   string
		want time.Duration
		pos  int
		ok   bool
	}{
		{"Your estimated wait time is 12 minutes.", 12 * time.Minute, 0, true},
		{"Your estimated wait time is approximately five minutes.", 5 * time.Minute, 0, true},
		{"The current wait time is about twenty five minutes.", 25 * time.Minute, 0, true},
		{"We expect to answer your call in approximately 90 seconds.", 90 * time.Second, 0, true},
		{"Your wait time is between 10 and 15 minutes.", 15 * time.Minute, 0, true},
		{"Your expected hold time is less than a minute.", time.Minute, 0, true},
		{"The estimated wait is more than an hour.", time.Hour, 0, true},
		{"You are caller number 5.", 10 * time.Minute, 5, true},
		{"You are caller number five in the queue.", 10 * time.Minute, 5, true},
		{"You are the third caller in line.", 6 * time.Minute, 3, true},
		{"There are 4 callers ahead of you.", 8 * time.Minute, 4, true},
		{"There are seven people ahead of you.", 14 * time.Minute, 7, true},
		{"Our offices are open 24 hours a day.", 0, 0, false},
		{"This call may be recorded for quality purposes.", 0, 0, false},
		{"Your call is important to us.", 0, 0, false},
	}
	for _, c := range cases {
		got, ok := ParseWaitEstimate(c.in, per)
		if ok != c.ok || got.Wait != c.want || got.Position != c.pos {
			t.Errorf("ParseWaitEstimate(%q) = %+v, %v; want %v pos %d ok %v", c.in, got, ok, c.want, c.pos, c.ok)
		}
	}
	if w, _ := ParseWaitEstimate("you are caller number 2", 0); w.Wait != 2*DefaultPerCaller {
		t.Errorf("default per-caller: %v", w.Wait)
	}
	if d := (WaitEstimate{Wait: time.Minute, Source: "time"}).EventData(); d["estimated_wait_seconds"] != 60.0 {
		t.Errorf("event data %v", d)
	}
}
