package store

import (
	"context"
	"testing"
	"time"

	"github.com/holdslayer/holdslayer/app"
)

// BenchmarkAnalytics measures each analytics query over 100,000 stored calls (about 450,000
// events: call_started, 0-5 ivr_step, hold_detected, human_detected for most, call_ended),
// drawn by genHistory, on a SQLite file. The fill runs once, outside the timings.
func BenchmarkAnalytics(b *testing.B) {
	s := newSQLiteStore(b)
	start := time.Now()
	fillHistory(b, s, genHistory(100_000, 1))
	b.Logf("filled 100,000 calls in %v", time.Since(start).Round(time.Millisecond))
	ctx := context.Background()
	month := app.AnalyticsQuery{From: ptr(mon.AddDate(0, 0, 20)), To: ptr(mon.AddDate(0, 0, 50))}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		ny = time.FixedZone("EST", -5*3600)
	}
	for _, bc := range []struct {
		name string
		run  func() (int64, error)
	}{
		{"Summary/all", func() (int64, error) {
			r, err := s.AnalyticsSummary(ctx, app.AnalyticsQuery{Location: ny})
			return r.Calls, err
		}},
		{"Summary/30days", func() (int64, error) {
			r, err := s.AnalyticsSummary(ctx, month)
			return r.Calls, err
		}},
		{"Summary/number", func() (int64, error) {
			r, err := s.AnalyticsSummary(ctx, app.AnalyticsQuery{Number: "+18005550901"})
			return r.Calls, err
		}},
		{"Companies/all", func() (int64, error) {
			r, err := s.AnalyticsCompanies(ctx, app.AnalyticsQuery{})
			return int64(len(r)), err
		}},
		{"Companies/30days", func() (int64, error) {
			r, err := s.AnalyticsCompanies(ctx, month)
			return int64(len(r)), err
		}},
		{"Company/all", func() (int64, error) {
			r, err := s.AnalyticsCompany(ctx, "acme bank", app.AnalyticsQuery{Location: ny})
			return r.Calls, err
		}},
		{"Company/30days", func() (int64, error) {
			r, err := s.AnalyticsCompany(ctx, "Slowco", month)
			return r.Calls, err
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				n, err := bc.run()
				if err != nil || n == 0 {
					b.Fatalf("%d, %v", n, err)
				}
			}
		})
	}
}

// BenchmarkAppendEventWithFacts is the write cost of the schema v3 triggers: an ivr_step
// event also updates its call's facts (compare BenchmarkAppendEvent, whose type they skip).
func BenchmarkAppendEventWithFacts(b *testing.B) {
	s := newSQLiteStore(b)
	ctx := context.Background()
	for i := range 8 {
		createCall(b, s, func(c *app.Call) { c.ID = "call_" + string(rune('a'+i)) })
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		typ := app.EventIVRStep
		if i%4 == 0 {
			typ = app.EventHumanDetected
		}
		ev := app.Event{Type: typ, CallID: "call_" + string(rune('a'+i%8)), Data: map[string]any{"step_id": "menu"}}
		if err := s.AppendEvent(ctx, &ev); err != nil {
			b.Fatal(err)
		}
	}
}
