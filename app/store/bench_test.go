package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/holdslayer/holdslayer/app"
)

// BenchmarkAppendEvent measures one stored timeline event on a SQLite file (WAL,
// synchronous=NORMAL): the cost every published bus event pays.
func BenchmarkAppendEvent(b *testing.B) {
	s := newSQLiteStore(b)
	ctx := context.Background()
	data := map[string]any{"audio_type": "music", "confidence": 0.93, "window_ms": 500}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		ev := app.Event{Type: app.EventAudioClassified, CallID: fmt.Sprintf("call_%d", i%8), Data: data}
		if err := s.AppendEvent(ctx, &ev); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendEventParallel: several calls publishing at once share the single writer.
func BenchmarkAppendEventParallel(b *testing.B) {
	s := newSQLiteStore(b)
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			ev := app.Event{Type: app.EventAudioClassified, CallID: "call_p", Data: map[string]any{"x": 1}}
			if err := s.AppendEvent(ctx, &ev); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkListCalls is one page of history (50 rows, filtered by number) out of 5,000 calls.
func BenchmarkListCalls(b *testing.B) {
	s := newSQLiteStore(b)
	ctx := context.Background()
	numbers := []string{"+18005551234", "+18005550000", "+18005559999", "+18005557777"}
	for i := range 5000 {
		createCall(b, s, func(c *app.Call) {
			c.Number = numbers[i%len(numbers)]
			c.Status = app.StatusEnded
			c.StartedAt = base.Add(time.Duration(i) * time.Minute)
		})
	}
	f := app.CallFilter{Number: numbers[0]}
	b.ReportAllocs()
	for b.Loop() {
		calls, total, err := s.ListCalls(ctx, f, app.Page{Limit: 50, Offset: 100})
		if err != nil || len(calls) != 50 || total != 1250 {
			b.Fatalf("list: %d calls of %d, %v", len(calls), total, err)
		}
	}
}

// BenchmarkListEventsSince is a reconnecting client's replay: 100 events after a seq, of 20,000.
func BenchmarkListEventsSince(b *testing.B) {
	s := newSQLiteStore(b)
	ctx := context.Background()
	err := s.w.Transaction(func(tx *gorm.DB) error {
		for i := range 20000 {
			row, err := eventToRow(&app.Event{Type: app.EventAudioClassified, CallID: fmt.Sprintf("call_%d", i%10), Timestamp: base, Data: map[string]any{"i": i}})
			if err != nil {
				return err
			}
			if err := tx.Create(&row).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		evs, err := s.ListEvents(ctx, "call_3", nil, 15000, 100)
		if err != nil || len(evs) != 100 {
			b.Fatalf("list: %d, %v", len(evs), err)
		}
	}
}
