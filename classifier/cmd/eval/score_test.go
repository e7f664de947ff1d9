package main

import "testing"

// What played when the person answered: from the pickup mark since
// corpus-v16, from the last hold segment before it.
func TestAnsweredAfter(t *testing.T) {
	for _, c := range []struct{ desc, last, want string }{
		{"ringback-uk+ivr+hold(m,ann=ducked*2,a,pickup@46.17:announcement-ducked/cut)+human(x)", "announcement-ducked", "ducked/cut"},
		{"ringback-us+ivr+hold(m,ann=over*1,a,loop,pickup@24.47:music)+human(x)", "music", "music"},
		{"ringback-us+ivr+hold(m,ann=stopped*1,a,pickup@30.02:gap)+human(x)", "announcement-stopped", "gap"},
		{"ringback-eu+ivr+hold(m,ann=stopped*3,a,file-end@31.20)+human(x)", "announcement-stopped", "stopped/finished"},
		{"ringback-eu+ivr+hold(m,ann=over*3,a)+human(x)", "pause", "pause"},
		{"ringback-eu+ivr+hold(m,ann=over*3,a)+human(x)", "", "unknown"},
	} {
		if got := answeredAfter(c.desc, c.last); got != c.want {
			t.Errorf("answeredAfter(%q, %q) = %q, want %q", c.desc, c.last, got, c.want)
		}
	}
}
