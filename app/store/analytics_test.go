package store

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/holdslayer/holdslayer/app"
)

// histCall is one call of generated history: what the engine would have stored.
type histCall struct {
	id       string
	company  string
	number   string
	start    time.Time
	answered bool
	hold     float64
	status   app.CallStatus
	ivr      int             // ivr_step events
	humans   []time.Duration // human_detected events, after start
	xferEv   bool            // a transfer_complete event (a transferred call ends as "ended")
	live     bool            // not finished: no end time, so analytics leave it out
}

// fillHistory stores calls and their events in bulk, with timeline noise (call_started,
// hold_detected, call_ended, and an ivr_step of a call that is not in the calls table) that
// analytics must not count.
func fillHistory(tb testing.TB, s *Store, calls []histCall) {
	tb.Helper()
	callRows := make([]callRow, 0, len(calls))
	var events []eventRow
	ev := func(id string, typ app.EventType, at time.Time) {
		events = append(events, eventRow{CallID: id, Type: string(typ), Timestamp: normTime(at), Data: "{}"})
	}
	for _, h := range calls {
		c := app.Call{ID: h.id, Number: h.number, Mode: app.ModeHoldSlayer, Status: h.status,
			Company: h.company, StartedAt: h.start, HoldSeconds: h.hold}
		end := h.start.Add(time.Duration(h.hold*float64(time.Second)) + time.Hour)
		if !h.live {
			c.EndedAt = &end
		}
		if h.answered {
			c.AnsweredAt = ptr(h.start.Add(2 * time.Second))
		}
		callRows = append(callRows, callToRow(&c))
		ev(h.id, app.EventCallStarted, h.start)
		for i := range h.ivr {
			ev(h.id, app.EventIVRStep, h.start.Add(time.Duration(i+3)*time.Second))
		}
		if h.answered {
			ev(h.id, app.EventHoldDetected, h.start.Add(30*time.Second))
		}
		for _, d := range h.humans {
			ev(h.id, app.EventHumanDetected, h.start.Add(d))
		}
		if h.xferEv {
			ev(h.id, app.EventTransferStarted, end.Add(-time.Minute))
			ev(h.id, app.EventTransferComplete, end.Add(-50*time.Second))
		}
		ev(h.id, app.EventCallEnded, end)
	}
	ev("call_refused", app.EventIVRStep, base)
	ev("call_refused", app.EventHumanDetected, base)
	err := s.w.Transaction(func(tx *gorm.DB) error {
		if err := tx.CreateInBatches(callRows, 500).Error; err != nil {
			return err
		}
		return tx.CreateInBatches(events, 1000).Error
	})
	if err != nil {
		tb.Fatalf("fill history: %v", err)
	}
}

// mon is Monday 3 March 2025, 00:00 UTC (before US daylight saving starts on the 9th).
var mon = time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)

func day(d int, hh, mm int) time.Time {
	return mon.AddDate(0, 0, d).Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute)
}

// handHistory is a small history whose figures are worked out by hand in testAnalyticsKnown.
func handHistory() []histCall {
	const n1, n2, n3, n4 = "+18005550001", "+18005550002", "+18005550003", "+18005550004"
	sec := func(s int) time.Duration { return time.Duration(s) * time.Second }
	return []histCall{
		{"a1", "Acme Bank", n1, day(0, 9, 10), true, 100, app.StatusTransferred, 2, []time.Duration{sec(160)}, false, false},
		{"a2", "Acme Bank", n1, day(0, 9, 40), true, 300, app.StatusEnded, 3, []time.Duration{sec(500), sec(400)}, false, false},
		{"a3", "ACME BANK", n1, day(1, 14, 5), true, 200, app.StatusEnded, 1, nil, false, false},
		{"a4", "Acme Bank", n2, day(2, 9, 0), false, 0, app.StatusFailed, 0, nil, false, false},
		{"s1", "Slowco", n3, day(1, 14, 30), true, 1000, app.StatusTransferred, 0, nil, false, false},
		{"s2", "Slowco", n3, day(6, 22, 0), true, 2000, app.StatusEnded, 4, []time.Duration{sec(2100)}, false, false},
		{"u1", "", n4, day(0, 9, 20), true, 50, app.StatusEnded, 0, []time.Duration{sec(60)}, false, false},
		// Outside the week the range tests select.
		{"old", "Acme Bank", n1, time.Date(2025, 2, 1, 12, 0, 0, 0, time.UTC), true, 5000, app.StatusEnded, 9, nil, true, false},
		// Still on hold: no end time, so not counted anywhere.
		{"live", "Acme Bank", n1, day(1, 10, 0), true, 700, app.StatusOnHold, 2, []time.Duration{sec(20)}, false, true},
	}
}

// week selects 2 to 9 March 2025: every hand-made call but "old".
func week() app.AnalyticsQuery {
	return app.AnalyticsQuery{From: ptr(time.Date(2025, 3, 2, 0, 0, 0, 0, time.UTC)), To: ptr(time.Date(2025, 3, 9, 23, 59, 59, 0, time.UTC))}
}

func near(t *testing.T, what string, got *float64, want float64) {
	t.Helper()
	if got == nil {
		t.Errorf("%s = null, want %v", what, want)
		return
	}
	if math.Abs(*got-want) > 1e-3 {
		t.Errorf("%s = %v, want %v", what, *got, want)
	}
}

func nearV(t *testing.T, what string, got, want float64) { t.Helper(); near(t, what, &got, want) }

func isNull(t *testing.T, what string, got *float64) {
	t.Helper()
	if got != nil {
		t.Errorf("%s = %v, want null", what, *got)
	}
}

// testAnalyticsKnown checks every figure against values worked out by hand.
func testAnalyticsKnown(t *testing.T, s *Store) {
	ctx := context.Background()
	fillHistory(t, s, handHistory())

	sum, err := s.AnalyticsSummary(ctx, week())
	if err != nil {
		t.Fatal(err)
	}
	// 7 calls; a1, a2, u1, s2 had a human, s1 was transferred without the event.
	if sum.Calls != 7 || sum.Reached != 5 || sum.Answered != 6 || sum.Companies != 2 || sum.Numbers != 4 {
		t.Fatalf("summary counts: %+v", sum.CallStats)
	}
	nearV(t, "success rate", sum.SuccessRate, 5.0/7)
	// Answered holds 50 100 200 300 1000 2000: median (200+300)/2, p90 at rank 4.5.
	near(t, "hold median", sum.HoldMedian, 250)
	near(t, "hold p90", sum.HoldP90, 1500)
	near(t, "hold mean", sum.HoldMean, 3650.0/6)
	// First human_detected after start: 60 160 400 (not 500) 2100.
	near(t, "time to human median", sum.TimeToHumanMedian, 280)
	near(t, "time to human p90", sum.TimeToHumanP90, 400+0.7*1700)
	nearV(t, "avg ivr steps", sum.AvgIVRSteps, 10.0/7)
	if len(sum.ByHour) != 24 || len(sum.ByWeekday) != 7 {
		t.Fatalf("slots: %d hours, %d weekdays", len(sum.ByHour), len(sum.ByWeekday))
	}
	h9 := sum.ByHour[9] // a1 a2 a4 u1; answered holds 50 100 300
	if h9.Slot != 9 || h9.Calls != 4 || h9.Answered != 3 {
		t.Fatalf("09h slot: %+v", h9)
	}
	nearV(t, "09h success", h9.SuccessRate, 0.75)
	near(t, "09h hold median", h9.HoldMedian, 100)
	near(t, "09h hold mean", h9.HoldMean, 150)
	h14 := sum.ByHour[14] // a3 s1
	if h14.Calls != 2 {
		t.Fatalf("14h slot: %+v", h14)
	}
	near(t, "14h hold median", h14.HoldMedian, 600)
	nearV(t, "14h success", h14.SuccessRate, 0.5)
	if sum.ByHour[22].Calls != 1 || sum.ByHour[3].Calls != 0 {
		t.Fatalf("22h/03h slots: %+v %+v", sum.ByHour[22], sum.ByHour[3])
	}
	isNull(t, "empty slot hold median", sum.ByHour[3].HoldMedian)
	wantDays := [7]int64{1, 3, 2, 1, 0, 0, 0} // Sun s2; Mon a1 a2 u1; Tue a3 s1; Wed a4
	for d, w := range wantDays {
		if got := sum.ByWeekday[d]; got.Slot != d || got.Calls != w {
			t.Errorf("weekday %d: %+v, want %d calls", d, got, w)
		}
	}

	// No range: "old" (Saturday noon, 9 IVR steps, 5000 s hold, a transfer_complete event but
	// status ended) joins in.
	all, err := s.AnalyticsSummary(ctx, app.AnalyticsQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if all.Calls != 8 || all.Reached != 6 || all.ByWeekday[6].Calls != 1 || all.ByHour[12].Calls != 1 {
		t.Fatalf("unbounded summary: %+v", all)
	}
	nearV(t, "unbounded ivr", all.AvgIVRSteps, 19.0/8)
	near(t, "unbounded hold median", all.HoldMedian, 300)

	companies, err := s.AnalyticsCompanies(ctx, week())
	if err != nil {
		t.Fatal(err)
	}
	if len(companies) != 2 {
		t.Fatalf("companies: %+v", companies)
	}
	acme, slow := companies[0], companies[1]
	if acme.Company != "Acme Bank" || acme.Calls != 4 || acme.Reached != 2 || acme.Answered != 3 {
		t.Fatalf("acme: %+v", acme)
	}
	equal(t, "acme numbers", acme.Numbers, []string{"+18005550001", "+18005550002"})
	nearV(t, "acme success", acme.SuccessRate, 0.5)
	near(t, "acme hold median", acme.HoldMedian, 200)
	near(t, "acme hold p90", acme.HoldP90, 280)
	near(t, "acme human median", acme.TimeToHumanMedian, 280)
	near(t, "acme human p90", acme.TimeToHumanP90, 376)
	nearV(t, "acme ivr", acme.AvgIVRSteps, 1.5)
	if acme.PerNumber != nil || acme.ByHour != nil {
		t.Errorf("list entries carry detail: %+v", acme)
	}
	if slow.Company != "Slowco" || slow.Calls != 2 || slow.Reached != 2 {
		t.Fatalf("slowco: %+v", slow)
	}
	near(t, "slowco hold median", slow.HoldMedian, 1500)
	near(t, "slowco hold p90", slow.HoldP90, 1900)
	near(t, "slowco human median", slow.TimeToHumanMedian, 2100)
	near(t, "slowco human p90", slow.TimeToHumanP90, 2100)
	nearV(t, "slowco ivr", slow.AvgIVRSteps, 2)

	// One company, named in another case, with its numbers and slots.
	detail, err := s.AnalyticsCompany(ctx, "acme BANK", week())
	if err != nil {
		t.Fatal(err)
	}
	if detail.Company != "Acme Bank" || detail.Calls != 4 || len(detail.PerNumber) != 2 {
		t.Fatalf("acme detail: %+v", detail)
	}
	p1, p2 := detail.PerNumber[0], detail.PerNumber[1]
	if p1.Number != "+18005550001" || p1.Calls != 3 || p1.Reached != 2 || p2.Number != "+18005550002" || p2.Calls != 1 || p2.Answered != 0 {
		t.Fatalf("per number: %+v", detail.PerNumber)
	}
	near(t, "n1 hold median", p1.HoldMedian, 200)
	isNull(t, "n2 hold median", p2.HoldMedian)
	isNull(t, "n2 time to human", p2.TimeToHumanMedian)
	if detail.ByHour[9].Calls != 3 || detail.ByHour[14].Calls != 1 || detail.ByWeekday[3].Calls != 1 {
		t.Fatalf("acme slots: %+v / %+v", detail.ByHour, detail.ByWeekday)
	}

	// Number filter.
	byNum, err := s.AnalyticsSummary(ctx, app.AnalyticsQuery{Number: "+18005550003"})
	if err != nil {
		t.Fatal(err)
	}
	if byNum.Calls != 2 || byNum.Companies != 1 {
		t.Fatalf("by number: %+v", byNum)
	}

	// Time zones move the slots: s2 is Sunday 9 March 22:00 UTC, 18:00 in New York (daylight
	// saving began that morning), Monday 07:00 in Tokyo.
	for _, tc := range []struct {
		zone          string
		hour, weekday int
	}{{"America/New_York", 18, 0}, {"Asia/Tokyo", 7, 1}} {
		loc, err := time.LoadLocation(tc.zone)
		if err != nil {
			t.Skipf("no tzdata: %v", err)
		}
		q := app.AnalyticsQuery{Number: "+18005550003", Location: loc}
		z, err := s.AnalyticsCompany(ctx, "Slowco", q)
		if err != nil {
			t.Fatal(err)
		}
		if z.ByHour[tc.hour].Calls != 1 || z.ByWeekday[tc.weekday].Calls < 1 {
			t.Errorf("%s: hour %d / weekday %d empty: %+v %+v", tc.zone, tc.hour, tc.weekday, z.ByHour, z.ByWeekday)
		}
	}

	_, err = s.AnalyticsCompany(ctx, "Nobody Inc", week())
	wantErr(t, err, app.ErrNotFound, "Nobody Inc")
	_, err = s.AnalyticsCompany(ctx, "Slowco", app.AnalyticsQuery{To: ptr(mon)})
	wantErr(t, err, app.ErrNotFound, "Slowco")
	_, err = s.AnalyticsCompany(ctx, " ", week())
	wantErr(t, err, app.ErrInvalid, "company")

	// An empty range is all zeros and nulls, not an error.
	empty, err := s.AnalyticsSummary(ctx, app.AnalyticsQuery{From: ptr(mon.AddDate(1, 0, 0))})
	if err != nil {
		t.Fatal(err)
	}
	if empty.Calls != 0 || empty.SuccessRate != 0 || empty.HoldMedian != nil || len(empty.ByHour) != 24 {
		t.Fatalf("empty summary: %+v", empty)
	}
}

// genHistory draws n calls from fixed distributions: companies with their own hold times and
// answer rates, some spelled in other cases, start times over 60 days.
func genHistory(n int, seed uint64) []histCall {
	rng := rand.New(rand.NewPCG(seed, 7))
	type co struct {
		name     string
		holdMean float64
		human    float64 // chance a human is detected
	}
	cos := []co{{"Acme Bank", 600, 0.7}, {"Slowco", 2400, 0.4}, {"Quick Telecom", 90, 0.9},
		{"Insurance Partners", 1200, 0.6}, {"City Utilities", 300, 0.8}}
	out := make([]histCall, n)
	for i := range out {
		c := cos[rng.IntN(len(cos))]
		name := c.name
		if rng.IntN(10) == 0 {
			name = strings.ToUpper(name)
		}
		h := histCall{
			id:      fmt.Sprintf("gen_%06d", i),
			company: name,
			number:  fmt.Sprintf("+1800555%02d%02d", len(c.name), rng.IntN(3)),
			start:   mon.Add(time.Duration(rng.Int64N(int64(60 * 24 * time.Hour)))).Truncate(time.Millisecond),
			status:  app.StatusEnded,
			ivr:     rng.IntN(6),
		}
		if rng.IntN(20) == 0 {
			h.company = "" // unknown company
		}
		if rng.Float64() < 0.9 {
			h.answered = true
			h.hold = math.Round(rng.ExpFloat64()*c.holdMean*1000) / 1000
			if rng.Float64() < c.human {
				delay := time.Duration((h.hold + 20 + rng.Float64()*40) * float64(time.Second)).Truncate(time.Millisecond)
				h.humans = []time.Duration{delay}
				if rng.IntN(5) == 0 {
					h.humans = append(h.humans, delay+time.Minute) // a second detection later
				}
				switch rng.IntN(3) {
				case 0:
					h.status = app.StatusTransferred
				case 1:
					h.xferEv = true
				}
			}
		} else {
			h.status = app.StatusFailed
		}
		if h.status == app.StatusEnded && rng.IntN(20) == 0 {
			h.xferEv = true // a transfer with no human_detected event
		}
		if rng.IntN(50) == 0 {
			h.live = true
		}
		out[i] = h
	}
	return out
}

// refStats computes the figures of calls directly from the generated history, with its own
// percentile routine, as the independent answer the store must match.
type refStats struct {
	calls, reached, ivr int
	holds, delays       []float64
}

func (r *refStats) add(h histCall) {
	if h.live {
		return
	}
	r.calls++
	r.ivr += h.ivr
	if len(h.humans) > 0 || h.status == app.StatusTransferred || h.xferEv {
		r.reached++
	}
	if h.answered {
		r.holds = append(r.holds, h.hold)
	}
	if len(h.humans) > 0 {
		first := h.humans[0]
		for _, d := range h.humans {
			first = min(first, d)
		}
		r.delays = append(r.delays, first.Seconds())
	}
}

func refPercentile(vals []float64, p float64) float64 {
	x := append([]float64(nil), vals...)
	sort.Float64s(x)
	pos := p * float64(len(x)-1)
	lo, hi := math.Floor(pos), math.Ceil(pos)
	if lo == hi {
		return x[int(lo)]
	}
	return x[int(lo)]*(hi-pos) + x[int(hi)]*(pos-lo)
}

func (r *refStats) check(t *testing.T, what string, got app.CallStats) {
	t.Helper()
	if got.Calls != int64(r.calls) || got.Reached != int64(r.reached) || got.Answered != int64(len(r.holds)) {
		t.Fatalf("%s: counts %d/%d/%d, want %d/%d/%d", what, got.Calls, got.Reached, got.Answered, r.calls, r.reached, len(r.holds))
	}
	if r.calls > 0 {
		nearV(t, what+" success", got.SuccessRate, float64(r.reached)/float64(r.calls))
		nearV(t, what+" ivr", got.AvgIVRSteps, float64(r.ivr)/float64(r.calls))
	}
	if len(r.holds) > 0 {
		near(t, what+" hold median", got.HoldMedian, refPercentile(r.holds, 0.5))
		near(t, what+" hold p90", got.HoldP90, refPercentile(r.holds, 0.9))
	} else {
		isNull(t, what+" hold median", got.HoldMedian)
	}
	if len(r.delays) > 0 {
		near(t, what+" human median", got.TimeToHumanMedian, refPercentile(r.delays, 0.5))
		near(t, what+" human p90", got.TimeToHumanP90, refPercentile(r.delays, 0.9))
	} else {
		isNull(t, what+" human median", got.TimeToHumanMedian)
	}
}

// testAnalyticsGenerated checks a bigger generated history against refStats.
func testAnalyticsGenerated(t *testing.T, s *Store) {
	ctx := context.Background()
	hist := genHistory(3000, 42)
	fillHistory(t, s, hist)
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		loc = time.FixedZone("CET", 3600)
	}
	from, to := mon.AddDate(0, 0, 10), mon.AddDate(0, 0, 40)
	q := app.AnalyticsQuery{From: &from, To: &to, Location: loc}

	var all refStats
	var hours [24]refStats
	var days [7]refStats
	byCo := map[string]*refStats{}
	for _, h := range hist {
		if h.start.Before(from) || h.start.After(to) {
			continue
		}
		all.add(h)
		lt := h.start.In(loc)
		hours[lt.Hour()].add(h)
		days[lt.Weekday()].add(h)
		if h.company != "" {
			k := strings.ToLower(h.company)
			if byCo[k] == nil {
				byCo[k] = &refStats{}
			}
			byCo[k].add(h)
		}
	}
	if all.calls < 1000 {
		t.Fatalf("generator gave only %d calls in range", all.calls)
	}
	sum, err := s.AnalyticsSummary(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	all.check(t, "summary", sum.CallStats)
	for h := range 24 {
		if sum.ByHour[h].Calls != int64(hours[h].calls) {
			t.Errorf("hour %d: %d calls, want %d", h, sum.ByHour[h].Calls, hours[h].calls)
		}
		if len(hours[h].holds) > 0 {
			near(t, fmt.Sprintf("hour %d hold median", h), sum.ByHour[h].HoldMedian, refPercentile(hours[h].holds, 0.5))
		}
	}
	for d := range 7 {
		if sum.ByWeekday[d].Calls != int64(days[d].calls) {
			t.Errorf("weekday %d: %d calls, want %d", d, sum.ByWeekday[d].Calls, days[d].calls)
		}
	}
	if sum.Companies != len(byCo) {
		t.Errorf("companies = %d, want %d", sum.Companies, len(byCo))
	}
	cos, err := s.AnalyticsCompanies(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(cos) != len(byCo) {
		t.Fatalf("%d companies, want %d", len(cos), len(byCo))
	}
	for i, c := range cos {
		ref := byCo[strings.ToLower(c.Company)]
		if ref == nil {
			t.Fatalf("unexpected company %q", c.Company)
		}
		if strings.ToUpper(c.Company) == c.Company {
			t.Errorf("company named by its rare upper-case spelling %q", c.Company)
		}
		ref.check(t, c.Company, c.CallStats)
		if i > 0 && cos[i-1].Calls < c.Calls {
			t.Errorf("companies not busiest first: %d before %d", cos[i-1].Calls, c.Calls)
		}
	}
	d, err := s.AnalyticsCompany(ctx, "slowco", q)
	if err != nil {
		t.Fatal(err)
	}
	byCo["slowco"].check(t, "slowco detail", d.CallStats)
	var perNumber int64
	for _, n := range d.PerNumber {
		perNumber += n.Calls
	}
	if perNumber != d.Calls {
		t.Errorf("per-number calls add up to %d, want %d", perNumber, d.Calls)
	}
}

// TestQuantile pins the percentile definition on small cases.
func TestQuantile(t *testing.T) {
	for _, tc := range []struct {
		vals []float64
		p    float64
		want float64
	}{
		{[]float64{7}, 0.5, 7},
		{[]float64{7}, 0.9, 7},
		{[]float64{1, 2}, 0.5, 1.5},
		{[]float64{1, 2, 3}, 0.5, 2},
		{[]float64{1, 2, 3, 4}, 0.9, 3.7},
		{[]float64{10, 20, 30, 40, 50, 60, 70, 80, 90, 100}, 0.9, 91},
		{[]float64{1, 2, 3}, 1, 3},
		{[]float64{1, 2, 3}, 0, 1},
	} {
		if got := quantile(tc.vals, tc.p); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("quantile(%v, %v) = %v, want %v", tc.vals, tc.p, got, tc.want)
		}
	}
}

func TestAnalyticsSQLite(t *testing.T) {
	runAnalyticsSuite(t, func(t *testing.T) *Store { return newSQLiteStore(t) })
}

func runAnalyticsSuite(t *testing.T, newStore func(t *testing.T) *Store) {
	t.Run("Known", func(t *testing.T) { testAnalyticsKnown(t, newStore(t)) })
	t.Run("Generated", func(t *testing.T) { testAnalyticsGenerated(t, newStore(t)) })
	t.Run("Facts", func(t *testing.T) { testAnalyticsFacts(t, newStore(t)) })
}

func TestSQLiteAnalyticsBackfill(t *testing.T) { testAnalyticsBackfill(t, sqliteDSN(t)) }

// testAnalyticsBackfill: a database at schema v2 with history gets its facts on upgrade.
func testAnalyticsBackfill(t *testing.T, dsn string) {
	ctx := context.Background()
	old, err := connect(ctx, dsn, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	if v, err := migrate(ctx, old.w, old.dialect, 2); err != nil || v != 2 {
		t.Fatalf("migrate to v2: %d, %v", v, err)
	}
	for _, id := range []string{"call_b1", "call_b2"} {
		if err := old.w.Exec(`INSERT INTO calls (id, number, status, started_at) VALUES (?, ?, ?, ?)`,
			id, "+18005551234", "ended", at(0)).Error; err != nil {
			t.Fatal(err)
		}
	}
	for i, typ := range []string{"ivr_step", "ivr_step", "ivr_step", "human_detected", "human_detected", "hold_detected", "transfer_complete"} {
		if err := old.w.Exec(`INSERT INTO call_events (call_id, type, occurred_at, data) VALUES (?, ?, ?, '{}')`,
			"call_b1", typ, at(time.Duration(100-i)*time.Second)).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	s := openStore(t, dsn)
	if n, h := readFacts(t, s, "call_b1"); n != 3 || h == nil || !h.Equal(at(96*time.Second)) {
		t.Fatalf("backfilled facts: %d steps, human at %v", n, h)
	}
	if n, h := readFacts(t, s, "call_b2"); n != 0 || h != nil || readTransferred(t, s, "call_b2") {
		t.Fatalf("backfilled facts of a call without events: %d, %v", n, h)
	}
	if !readTransferred(t, s, "call_b1") {
		t.Fatal("backfill missed the transfer")
	}
}

// readTransferred returns the trigger-kept transferred fact of a call.
func readTransferred(t *testing.T, s *Store, id string) bool {
	t.Helper()
	var v bool
	if err := s.r.Raw("SELECT transferred FROM calls WHERE id = ?", id).Row().Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// readFacts returns the trigger-kept facts of a call.
func readFacts(t *testing.T, s *Store, id string) (int, *time.Time) {
	t.Helper()
	var row struct {
		IvrSteps int
		HumanAt  *time.Time
	}
	if err := s.r.Raw("SELECT ivr_steps, human_at FROM calls WHERE id = ?", id).Scan(&row).Error; err != nil {
		t.Fatal(err)
	}
	return row.IvrSteps, row.HumanAt
}

// testAnalyticsFacts: the schema keeps ivr_steps and human_at whatever order calls and events
// arrive in, and the engine's UpdateCall never erases them.
func testAnalyticsFacts(t *testing.T, s *Store) {
	ctx := context.Background()
	appendEv := func(id string, typ app.EventType, d time.Duration) {
		t.Helper()
		ev := app.Event{Type: typ, CallID: id, Timestamp: base.Add(d)}
		if err := s.AppendEvent(ctx, &ev); err != nil {
			t.Fatal(err)
		}
	}
	ended := func(id string) func(*app.Call) {
		return func(c *app.Call) { c.ID, c.EndedAt = id, ptr(base.Add(time.Hour)) }
	}
	// Call first, then events; a later-stored but earlier detection wins.
	c := createCall(t, s, ended("call_f1"))
	appendEv("call_f1", app.EventIVRStep, time.Second)
	appendEv("call_f1", app.EventHumanDetected, 90*time.Second)
	appendEv("call_f1", app.EventHumanWithdrawn, 95*time.Second)
	appendEv("call_f1", app.EventIVRStep, 2*time.Second)
	appendEv("call_f1", app.EventHumanDetected, 80*time.Second)
	appendEv("call_f1", app.EventAudioClassified, 3*time.Second)
	appendEv("call_other", app.EventIVRStep, time.Second)
	n, h := readFacts(t, s, "call_f1")
	if n != 2 || h == nil || !h.Equal(at(80*time.Second)) {
		t.Fatalf("facts after events: %d steps, human at %v", n, h)
	}
	// The engine's update writes its own fields only.
	c.Status, c.HoldSeconds = app.StatusTransferred, 42
	if err := s.UpdateCall(ctx, &c); err != nil {
		t.Fatal(err)
	}
	if n, h := readFacts(t, s, "call_f1"); n != 2 || h == nil {
		t.Fatalf("UpdateCall erased facts: %d, %v", n, h)
	}
	// Events first (the call row is written later): the insert picks them up.
	appendEv("call_f2", app.EventIVRStep, time.Second)
	appendEv("call_f2", app.EventHumanDetected, 30*time.Second)
	appendEv("call_f2", app.EventTransferComplete, 50*time.Second)
	createCall(t, s, ended("call_f2"))
	appendEv("call_f2", app.EventIVRStep, 40*time.Second)
	if n, h := readFacts(t, s, "call_f2"); n != 2 || h == nil || !h.Equal(at(30*time.Second)) {
		t.Fatalf("facts of a late call row: %d steps, human at %v", n, h)
	}
	createCall(t, s, ended("call_f3"))
	appendEv("call_f3", app.EventTransferStarted, 50*time.Second)
	appendEv("call_f3", app.EventTransferComplete, 60*time.Second)
	createCall(t, s, func(c *app.Call) { c.ID = "call_live" }) // no end time: not counted
	if n, h := readFacts(t, s, "call_f3"); n != 0 || h != nil {
		t.Fatalf("facts of a call without ivr or human events: %d, %v", n, h)
	}
	for id, want := range map[string]bool{"call_f1": false, "call_f2": true, "call_f3": true} {
		if got := readTransferred(t, s, id); got != want {
			t.Errorf("%s transferred = %v, want %v", id, got, want)
		}
	}
	sum, err := s.AnalyticsSummary(ctx, app.AnalyticsQuery{})
	if err != nil {
		t.Fatal(err)
	}
	// base is 14:26:53.123456789Z; stored started_at keeps microseconds, so delays are exact.
	// f1 (status transferred, human), f2 (human, transfer event), f3 (transfer event only).
	if sum.Calls != 3 || sum.Reached != 3 || sum.AvgIVRSteps != 4.0/3 {
		t.Fatalf("summary over facts: %+v", sum.CallStats)
	}
	near(t, "time to human median", sum.TimeToHumanMedian, 55)
}

// TestSQLiteAnalyticsPlan: a company's analytics come from its index, with no event lookups.
func TestSQLiteAnalyticsPlan(t *testing.T) {
	s := newSQLiteStore(t)
	rows, err := s.r.Raw("EXPLAIN QUERY PLAN " + s.analyticsSQL("lower(c.company) = lower('x')")).Rows()
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	p := strings.Join(plan, "\n")
	if !strings.Contains(p, "idx_calls_company_started") || strings.Contains(p, "call_events") {
		t.Errorf("analytics plan:\n%s", p)
	}
}

// TestPostgresAnalyticsAndNotify runs the analytics and notification suites on a real
// PostgreSQL, started like TestPostgres's (or HOLDSLAYER_TEST_POSTGRES_DSN).
func TestPostgresAnalyticsAndNotify(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping PostgreSQL in -short mode")
	}
	admin := os.Getenv("HOLDSLAYER_TEST_POSTGRES_DSN")
	if admin == "" {
		admin = startPostgres(t)
	}
	newDSN := freshDatabases(t, admin)
	newStore := func(t *testing.T) *Store { return openStore(t, newDSN(t)) }
	t.Run("Analytics", func(t *testing.T) { runAnalyticsSuite(t, newStore) })
	t.Run("AnalyticsBackfill", func(t *testing.T) { testAnalyticsBackfill(t, newDSN(t)) })
	t.Run("Notify", func(t *testing.T) { runNotifySuite(t, newStore) })
}
