package api

import (
	"context"
	"math"
	"net/url"
	"testing"
	"time"

	"github.com/holdslayer/holdslayer/app"
)

// seedAnalytics stores four calls the way the engine would (calls plus timeline events):
//
//	acme1  Acme Bank +18005550001 Mon 3 Mar 2025 09:00Z  hold 100  human at +130 s, transferred, 2 IVR steps
//	acme2  ACME BANK +18005550001 Mon 3 Mar 2025 09:30Z  hold 300  no human, ended, 1 IVR step
//	acme3  Acme Bank +18005550002 Sun 2 Mar 2025 14:00Z  never answered, failed
//	slow1  Slowco    +18005550003 Tue 4 Mar 2025 16:00Z  hold 2000 human at +2050 s, ended
func seedAnalytics(t *testing.T, e *extEnv) {
	t.Helper()
	ctx := context.Background()
	type spec struct {
		id, company, number string
		start               time.Time
		hold                float64
		answered            bool
		status              app.CallStatus
		humanAfter          time.Duration
		ivr                 int
	}
	d := func(day, hour int) time.Time { return time.Date(2025, 3, day, hour, 0, 0, 0, time.UTC) }
	for _, s := range []spec{
		{"acme1", "Acme Bank", "+18005550001", d(3, 9), 100, true, app.StatusTransferred, 130 * time.Second, 2},
		{"acme2", "ACME BANK", "+18005550001", d(3, 9).Add(30 * time.Minute), 300, true, app.StatusEnded, 0, 1},
		{"acme3", "Acme Bank", "+18005550002", d(2, 14), 0, false, app.StatusFailed, 0, 0},
		{"slow1", "Slowco", "+18005550003", d(4, 16), 2000, true, app.StatusEnded, 2050 * time.Second, 0},
	} {
		c := app.Call{ID: s.id, Number: s.number, Company: s.company, Mode: app.ModeHoldSlayer,
			Status: s.status, StartedAt: s.start, HoldSeconds: s.hold, EndedAt: ptrTime(s.start.Add(time.Hour))}
		if s.answered {
			c.AnsweredAt = ptrTime(s.start.Add(3 * time.Second))
		}
		if err := e.store.CreateCall(ctx, &c); err != nil {
			t.Fatal(err)
		}
		evs := []app.Event{{Type: app.EventCallStarted, CallID: s.id, Timestamp: s.start}}
		for i := range s.ivr {
			evs = append(evs, app.Event{Type: app.EventIVRStep, CallID: s.id, Timestamp: s.start.Add(time.Duration(5+i) * time.Second)})
		}
		if s.humanAfter > 0 {
			evs = append(evs, app.Event{Type: app.EventHumanDetected, CallID: s.id, Timestamp: s.start.Add(s.humanAfter)})
		}
		for _, ev := range evs {
			if err := e.store.AppendEvent(ctx, &ev); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func ptrTime(t time.Time) *time.Time { return &t }

func num(t *testing.T, body map[string]any, key string, want float64) {
	t.Helper()
	got, ok := body[key].(float64)
	if !ok || math.Abs(got-want) > 1e-3 {
		t.Errorf("%s = %v, want %v", key, body[key], want)
	}
}

func TestAnalyticsSummaryAPI(t *testing.T) {
	e := newExtEnv(t)
	seedAnalytics(t, e)
	r := e.do("GET", "/api/analytics/summary", nil).want(t, 200)
	b := r.body
	num(t, b, "calls", 4)
	num(t, b, "reached_human", 2)
	num(t, b, "success_rate", 0.5)
	num(t, b, "answered", 3)
	num(t, b, "hold_median_seconds", 300) // 100 300 2000
	num(t, b, "hold_p90_seconds", 300+0.8*1700)
	num(t, b, "time_to_human_median_seconds", (130+2050)/2.0)
	num(t, b, "avg_ivr_steps", 0.75)
	num(t, b, "companies", 2)
	num(t, b, "numbers", 3)
	hours := b["by_hour"].([]any)
	if h9 := hours[9].(map[string]any); h9["calls"].(float64) != 2 || h9["hold_median_seconds"].(float64) != 200 {
		t.Errorf("09h slot: %v", h9)
	}
	rng := b["range"].(map[string]any)
	if rng["from"] != nil || rng["timezone"] != "UTC" {
		t.Errorf("range: %v", rng)
	}

	// A day range: 3 March alone, as an RFC 3339 pair and as a date pair.
	for _, q := range []string{
		"from=2025-03-03&to=2025-03-03",
		"from=" + url.QueryEscape("2025-03-03T00:00:00Z") + "&to=" + url.QueryEscape("2025-03-03T23:59:59+00:00"),
	} {
		r := e.do("GET", "/api/analytics/summary?"+q, nil).want(t, 200)
		num(t, r.body, "calls", 2)
		num(t, r.body, "success_rate", 0.5)
	}
	// Dates are read in tz: Tokyo's 3 March runs from 2 March 15:00Z to 3 March 15:00Z, so it
	// holds acme3 (14:00Z on the 2nd is 23:00 in Tokyo) no more, and acme1/acme2 still.
	r = e.do("GET", "/api/analytics/summary?from=2025-03-03&to=2025-03-03&tz=Asia/Tokyo", nil).want(t, 200)
	num(t, r.body, "calls", 2)
	if h18 := r.body["by_hour"].([]any)[18].(map[string]any); h18["calls"].(float64) != 2 {
		t.Errorf("09:00Z calls not in Tokyo's 18h slot: %v", h18)
	}
	r = e.do("GET", "/api/analytics/summary?from=2025-03-02&to=2025-03-02&tz=America/Los_Angeles", nil).want(t, 200)
	num(t, r.body, "calls", 1) // acme3, 06:00 in Los Angeles
	if r.body["range"].(map[string]any)["timezone"] != "America/Los_Angeles" {
		t.Errorf("range: %v", r.body["range"])
	}
	r = e.do("GET", "/api/analytics/summary?number=%2B18005550003", nil).want(t, 200)
	num(t, r.body, "calls", 1)
	num(t, r.body, "success_rate", 1)

	// An empty range: zeros and nulls, not an error.
	r = e.do("GET", "/api/analytics/summary?from=2030-01-01", nil).want(t, 200)
	num(t, r.body, "calls", 0)
	if r.body["hold_median_seconds"] != nil {
		t.Errorf("hold median of nothing = %v", r.body["hold_median_seconds"])
	}

	for q, frag := range map[string]string{
		"from=yesterday":                "from",
		"to=2025-13-01":                 "to",
		"from=2025-03-05&to=2025-03-01": "before",
		"tz=Mars/Olympus":               "tz",
		"tz=Local":                      "tz",
		"from=2025-03-03T09:00:00":      "RFC 3339", // no zone
	} {
		e.do("GET", "/api/analytics/summary?"+q, nil).wantError(t, 400, frag)
	}
}

func TestAnalyticsCompaniesAPI(t *testing.T) {
	e := newExtEnv(t)
	r := e.do("GET", "/api/analytics/companies", nil).want(t, 200)
	if list := r.body["companies"].([]any); len(list) != 0 || r.body["total"].(float64) != 0 {
		t.Fatalf("empty store: %s", r.raw)
	}
	seedAnalytics(t, e)
	r = e.do("GET", "/api/analytics/companies", nil).want(t, 200)
	list := r.body["companies"].([]any)
	if len(list) != 2 || r.body["total"].(float64) != 2 {
		t.Fatalf("companies: %s", r.raw)
	}
	acme, slow := list[0].(map[string]any), list[1].(map[string]any)
	if acme["company"] != "Acme Bank" || slow["company"] != "Slowco" {
		t.Fatalf("order or names: %v / %v", acme["company"], slow["company"])
	}
	num(t, acme, "calls", 3)
	num(t, acme, "success_rate", 1.0/3)
	num(t, acme, "hold_median_seconds", 200)
	num(t, acme, "avg_ivr_steps", 1)
	num(t, slow, "time_to_human_median_seconds", 2050)
	if _, ok := acme["by_hour"]; ok {
		t.Error("list entries carry the detail slots")
	}
	r = e.do("GET", "/api/analytics/companies?to=2025-03-02", nil).want(t, 200)
	if list := r.body["companies"].([]any); len(list) != 1 || list[0].(map[string]any)["calls"].(float64) != 1 {
		t.Fatalf("companies until 2 March: %s", r.raw)
	}

	// One company, in any case, with numbers and slots.
	r = e.do("GET", "/api/analytics/companies/acme%20bank?tz=UTC", nil).want(t, 200)
	b := r.body
	if b["company"] != "Acme Bank" {
		t.Errorf("company = %v", b["company"])
	}
	num(t, b, "calls", 3)
	per := b["per_number"].([]any)
	if len(per) != 2 || per[0].(map[string]any)["number"] != "+18005550001" || per[0].(map[string]any)["calls"].(float64) != 2 {
		t.Errorf("per number: %v", per)
	}
	if per[1].(map[string]any)["hold_median_seconds"] != nil {
		t.Errorf("unanswered number has a hold median: %v", per[1])
	}
	if wd := b["by_weekday"].([]any); wd[1].(map[string]any)["calls"].(float64) != 2 || wd[0].(map[string]any)["calls"].(float64) != 1 {
		t.Errorf("weekdays: %v", wd)
	}
	e.do("GET", "/api/analytics/companies/Nobody", nil).wantError(t, 404, "Nobody")
	e.do("GET", "/api/analytics/companies/Slowco?to=2025-03-03", nil).wantError(t, 404, "Slowco")
	e.do("GET", "/api/analytics/companies/Slowco?from=nope", nil).wantError(t, 400, "from")
}
