package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/holdslayer/holdslayer/app"
)

func testEvents(t *testing.T, s *Store) {
	ctx := context.Background()
	type ev struct {
		call string
		typ  app.EventType
	}
	seqOf := map[int]int64{}
	plan := []ev{
		{"call_a", app.EventCallStarted},
		{"call_b", app.EventCallStarted},
		{"call_a", app.EventAudioClassified},
		{"call_a", app.EventHoldDetected},
		{"call_b", app.EventCallFailed},
		{"call_a", app.EventAudioClassified},
		{"call_a", app.EventHumanDetected},
	}
	var last int64
	for i, p := range plan {
		e := app.Event{
			Type:      p.typ,
			CallID:    p.call,
			Timestamp: base.Add(time.Duration(i) * time.Second),
			Data:      map[string]any{"i": i, "label": "music", "nested": map[string]any{"confidence": 0.93, "ok": true}},
			Seq:       999, // ignored: the store assigns seq
		}
		if err := s.AppendEvent(ctx, &e); err != nil {
			t.Fatal(err)
		}
		if e.Seq <= last {
			t.Fatalf("event %d seq %d not above previous %d", i, e.Seq, last)
		}
		last = e.Seq
		seqOf[i] = e.Seq
	}
	all, err := s.ListEvents(ctx, "", nil, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(plan) {
		t.Fatalf("listed %d events, want %d", len(all), len(plan))
	}
	for i, e := range all {
		want := app.Event{
			Seq: seqOf[i], Type: plan[i].typ, CallID: plan[i].call, Timestamp: at(time.Duration(i) * time.Second),
			// JSON numbers come back as float64.
			Data: map[string]any{"i": float64(i), "label": "music", "nested": map[string]any{"confidence": 0.93, "ok": true}},
		}
		equal(t, fmt.Sprintf("event %d", i), e, want)
	}
	seqs := func(es []app.Event) []int64 {
		out := []int64{}
		for _, e := range es {
			out = append(out, e.Seq)
		}
		return out
	}
	cases := []struct {
		name  string
		call  string
		types []app.EventType
		after int64
		limit int
		want  []int
	}{
		{"by call", "call_a", nil, 0, 0, []int{0, 2, 3, 5, 6}},
		{"by type", "", []app.EventType{app.EventCallStarted, app.EventCallFailed}, 0, 0, []int{0, 1, 4}},
		{"by call and type", "call_a", []app.EventType{app.EventAudioClassified}, 0, 0, []int{2, 5}},
		{"after seq", "", nil, seqOf[3], 0, []int{4, 5, 6}},
		{"after seq by call", "call_a", nil, seqOf[3], 0, []int{5, 6}},
		{"limit", "", nil, 0, 2, []int{0, 1}},
		{"after seq with limit", "", nil, seqOf[1], 2, []int{2, 3}},
		{"after the last", "", nil, seqOf[6], 0, []int{}},
		{"unknown call", "call_z", nil, 0, 0, []int{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ListEvents(ctx, tc.call, tc.types, tc.after, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			want := []int64{}
			for _, i := range tc.want {
				want = append(want, seqOf[i])
			}
			equal(t, "seqs", seqs(got), want)
		})
	}
	// Nil data and a zero timestamp are filled in.
	e := app.Event{Type: app.EventCallEnded, CallID: "call_a"}
	if err := s.AppendEvent(ctx, &e); err != nil {
		t.Fatal(err)
	}
	if e.Timestamp.IsZero() || time.Since(e.Timestamp) > time.Minute {
		t.Fatalf("timestamp not defaulted to now: %v", e.Timestamp)
	}
	got, err := s.ListEvents(ctx, "", nil, seqOf[6], 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Data == nil || len(got[0].Data) != 0 || !got[0].Timestamp.Equal(e.Timestamp) {
		t.Fatalf("event with nil data read back as %+v", got)
	}
}

// testConcurrentEvents appends from several goroutines while others read: every event is
// stored once and seqs are unique and increasing in listing order.
func testConcurrentEvents(t *testing.T, s *Store) {
	ctx := context.Background()
	const writers, each = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*each+writers)
	appendConcurrently(ctx, s, &wg, errs, writers, each)
	for range writers {
		wg.Go(func() {
			for range each {
				if _, err := s.ListEvents(ctx, "", nil, 0, 10); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	all := checkedAll(t, ctx, s, errs)
	if len(all) != writers*each {
		t.Fatalf("stored %d events, want %d", len(all), writers*each)
	}
	perCall := map[string]float64{}
	for i, e := range all {
		if i > 0 && e.Seq <= all[i-1].Seq {
			t.Fatalf("seq %d after %d", e.Seq, all[i-1].Seq)
		}
		// Each writer's own events keep their order.
		n := e.Data["i"].(float64)
		if prev, ok := perCall[e.CallID]; ok && n != prev+1 {
			t.Fatalf("%s: event %v after %v", e.CallID, n, prev)
		}
		perCall[e.CallID] = n
	}
}

func testTranscript(t *testing.T, s *Store) {
	ctx := context.Background()
	c := createCall(t, s)
	other := createCall(t, s)
	segs := []app.TranscriptSegment{
		{CallID: c.ID, Speaker: "company", Text: "please hold", IsFinal: true, StartAt: base.Add(10 * time.Second), EndAt: base.Add(12 * time.Second)},
		{CallID: c.ID, Speaker: "company", Text: "thank you for calling", IsFinal: true, StartAt: base, EndAt: base.Add(2 * time.Second)},
		{CallID: other.ID, Speaker: "agent", Text: "hello?", StartAt: base, EndAt: base.Add(time.Second)},
		{CallID: c.ID, Speaker: "agent", Text: "this is Anna", StartAt: base.Add(60 * time.Second), EndAt: base.Add(61 * time.Second)},
	}
	for i := range segs {
		if err := s.AddTranscript(ctx, &segs[i]); err != nil {
			t.Fatal(err)
		}
		if segs[i].ID == 0 {
			t.Fatalf("segment %d got no id", i)
		}
	}
	got, err := s.ListTranscript(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []app.TranscriptSegment{segs[1], segs[0], segs[3]}
	equal(t, "transcript in spoken order", got, want)
	if got[0].StartAt != at(0) || got[0].EndAt != at(2*time.Second) {
		t.Fatalf("times not normalised: %+v", got[0])
	}
	none, err := s.ListTranscript(ctx, "call_none")
	if err != nil || len(none) != 0 {
		t.Fatalf("transcript of unknown call = %v, %v", none, err)
	}
	orphan := app.TranscriptSegment{CallID: "call_ghost", Text: "x", StartAt: base, EndAt: base}
	wantErr(t, s.AddTranscript(ctx, &orphan), app.ErrNotFound, "call_ghost")
}

// testReplayMissesNothing follows the log the way a reconnecting client does ("events after
// the last seq I saw") while several writers append: the follower must see every event. If
// seqs could become visible out of order (a later seq committed before an earlier one), the
// follower would step past the earlier one and never see it.
func testReplayMissesNothing(t *testing.T, s *Store) {
	ctx := context.Background()
	const writers, each = 8, 40
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	appendConcurrently(ctx, s, &wg, errs, writers, each)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	seen := map[int64]bool{}
	var last int64
	follow := func() {
		t.Helper()
		evs, err := s.ListEvents(ctx, "", nil, last, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			seen[e.Seq] = true
			last = max(last, e.Seq)
		}
	}
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		default:
		}
		follow()
	}
	follow()
	all := checkedAll(t, ctx, s, errs)
	missed := 0
	for _, e := range all {
		if !seen[e.Seq] {
			missed++
		}
	}
	if len(all) != writers*each || missed > 0 {
		t.Fatalf("stored %d events (want %d); the follower missed %d of them", len(all), writers*each, missed)
	}
}

// checkedAll fails the test on the first error the (finished) goroutines sent to errs, then
// returns every stored event.
func checkedAll(t *testing.T, ctx context.Context, s *Store, errs chan error) []app.Event {
	t.Helper()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	all, err := s.ListEvents(ctx, "", nil, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// appendConcurrently starts writers goroutines on wg, each appending each events of its own
// call (numbered in Data["i"]); the first error of a writer goes to errs.
func appendConcurrently(ctx context.Context, s *Store, wg *sync.WaitGroup, errs chan<- error, writers, each int) {
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				e := app.Event{Type: app.EventAudioClassified, CallID: fmt.Sprintf("call_%d", w), Data: map[string]any{"i": i}}
				if err := s.AppendEvent(ctx, &e); err != nil {
					errs <- err
					return
				}
			}
		})
	}
}
