package api

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/holdslayer/holdslayer/app"
)

// seedHistory stores finished calls: 12 to +18005551234 (Chase Bank, alternating ended and
// failed), 3 to +18009876543 (Acme), one a day from 2026-01-01.
func seedHistory(t *testing.T, e *env) []string {
	t.Helper()
	ctx := context.Background()
	day := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	var ids []string
	for i := range 15 {
		c := app.Call{Number: "+18005551234", Company: "Chase Bank", Mode: app.ModeHoldSlayer, Status: app.StatusEnded,
			StartedAt: day.AddDate(0, 0, i)}
		if i%2 == 1 {
			c.Status = app.StatusFailed
		}
		if i >= 12 {
			c.Number, c.Company, c.Mode = "+18009876543", "Acme", app.ModeDirect
		}
		end := c.StartedAt.Add(90 * time.Second)
		c.EndedAt = &end
		if err := e.store.CreateCall(ctx, &c); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	return ids
}

func TestHistoryFiltersAndPagination(t *testing.T) {
	e := newEnv(t)
	ids := seedHistory(t, e)

	r := e.do("GET", "/api/calls/history", nil).want(t, 200)
	items := r.body["items"].([]any)
	if r.body["total"].(float64) != 15 || len(items) != 15 {
		t.Fatalf("all: total %v, %d items", r.body["total"], len(items))
	}
	first := items[0].(map[string]any)
	if first["call_id"] != ids[14] || first["duration"].(float64) != 90 || first["ended_at"] == nil {
		t.Errorf("newest first with duration 90: %v", first)
	}

	page := func(q string) (ids []string, total float64) {
		t.Helper()
		r := e.do("GET", "/api/calls/history?"+q, nil).want(t, 200)
		for _, it := range r.body["items"].([]any) {
			ids = append(ids, it.(map[string]any)["call_id"].(string))
		}
		return ids, r.body["total"].(float64)
	}
	got, total := page("limit=4&offset=4")
	if total != 15 || fmt.Sprint(got) != fmt.Sprint([]string{ids[10], ids[9], ids[8], ids[7]}) {
		t.Errorf("limit/offset: %v total %v", got, total)
	}
	got2, _ := page("page=2&per_page=4")
	if fmt.Sprint(got2) != fmt.Sprint(got) {
		t.Errorf("page=2&per_page=4 = %v, want %v", got2, got)
	}
	if got, _ := page("page=4&per_page=4"); len(got) != 3 {
		t.Errorf("last page has %d items, want 3", len(got))
	}
	if got, total := page("number=%2B18009876543"); total != 3 || len(got) != 3 {
		t.Errorf("number filter: %v total %v", got, total)
	}
	if _, total := page("company=chase+bank"); total != 12 {
		t.Errorf("company filter total %v, want 12", total)
	}
	if _, total := page("status=failed"); total != 7 {
		t.Errorf("status filter total %v, want 7", total)
	}
	if got, total := page("from=2026-01-03&to=2026-01-05"); total != 3 || fmt.Sprint(got) != fmt.Sprint([]string{ids[4], ids[3], ids[2]}) {
		t.Errorf("date range: %v total %v", got, total)
	}
	if _, total := page("from=2026-01-03T10:00:00Z&to=2026-01-03T10:00:00Z"); total != 1 {
		t.Errorf("RFC 3339 range total %v, want 1", total)
	}
	if _, total := page("company=Chase+Bank&status=ended&from=2026-01-05"); total != 4 {
		t.Errorf("combined filters total %v, want 4", total)
	}

	bad := []struct{ q, frag string }{
		{"limit=0", `"limit"`}, {"limit=x", `"limit"`}, {"limit=501", "at most 500"},
		{"offset=-1", `"offset"`}, {"page=0", `"page"`}, {"page=1&limit=5", "either"},
		{"status=sleeping", "unknown status"}, {"from=yesterday", `"from"`},
		{"from=2026-02-01&to=2026-01-01", "before"},
	}
	for _, b := range bad {
		e.do("GET", "/api/calls/history?"+b.q, nil).wantError(t, 400, b.frag)
	}
}

func TestCallTimelineTranscriptRecordings(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id := e.do("POST", "/api/calls/outbound", `{"number": "+18005551234"}`).want(t, 201).body["call_id"].(string)
	ts := time.Date(2026, 1, 15, 10, 35, 0, 123_000_000, time.UTC)
	e.bus.Publish(ctx, app.Event{Type: app.EventHoldDetected, CallID: id, Timestamp: ts,
		Data: map[string]any{"audio_type": "music", "confidence": 0.92, "hold_duration": 0}})
	e.bus.Publish(ctx, app.Event{Type: app.EventHumanDetected, CallID: id, Timestamp: ts.Add(time.Minute),
		Data: map[string]any{"confidence": 0.9, "transcript_excerpt": "this is Sarah"}})

	r := e.do("GET", "/api/calls/"+id+"/events", nil).want(t, 200)
	evs := r.body["events"].([]any)
	if len(evs) != 3 {
		t.Fatalf("events = %s", r.raw)
	}
	hold := evs[1].(map[string]any)
	if hold["type"] != "hold_detected" || hold["call_id"] != id || hold["timestamp"] != "2026-01-15T10:35:00.123Z" ||
		hold["data"].(map[string]any)["audio_type"] != "music" {
		t.Errorf("hold event = %v", hold)
	}
	seq := hold["seq"].(float64)
	r = e.do("GET", fmt.Sprintf("/api/calls/%s/events?since=%d", id, int64(seq)), nil).want(t, 200)
	if n := len(r.body["events"].([]any)); n != 1 {
		t.Errorf("since=%v gave %d events, want 1", seq, n)
	}
	r = e.do("GET", "/api/calls/"+id+"/events?types=call_started,human_detected", nil).want(t, 200)
	if n := len(r.body["events"].([]any)); n != 2 {
		t.Errorf("types filter gave %d events, want 2", n)
	}
	e.do("GET", "/api/calls/"+id+"/events?types=bogus", nil).wantError(t, 400, "unknown event type", "bogus")
	e.do("GET", "/api/calls/"+id+"/events?since=-3", nil).wantError(t, 400, "since")
	e.do("GET", "/api/calls/call_nope/events", nil).wantError(t, 404, "call_nope")

	for i, seg := range []app.TranscriptSegment{
		{CallID: id, Speaker: "company", Text: "Your call is important to us.", IsFinal: true, StartAt: ts, EndAt: ts.Add(2 * time.Second)},
		{CallID: id, Speaker: "agent", Text: "Hi, this is Sarah.", IsFinal: true, StartAt: ts.Add(time.Minute), EndAt: ts.Add(61 * time.Second)},
	} {
		if err := e.store.AddTranscript(ctx, &seg); err != nil {
			t.Fatalf("segment %d: %v", i, err)
		}
	}
	r = e.do("GET", "/api/calls/"+id+"/transcript", nil).want(t, 200)
	if segs := r.body["segments"].([]any); len(segs) != 2 || segs[1].(map[string]any)["speaker"] != "agent" {
		t.Errorf("transcript = %s", r.raw)
	}
	if r.body["text"] != "company: Your call is important to us.\nagent: Hi, this is Sarah." {
		t.Errorf("text = %q", r.body["text"])
	}
	e.do("GET", "/api/calls/call_nope/transcript", nil).wantError(t, 404, "call_nope")

	wav := make([]byte, 44+16000)
	copy(wav, "RIFF")
	for i := 44; i < len(wav); i++ {
		wav[i] = byte(i)
	}
	if err := os.WriteFile(filepath.Join(e.recDir, "mixed.wav"), wav, 0o644); err != nil {
		t.Fatal(err)
	}
	rec := app.Recording{CallID: id, Kind: "mixed", Path: "mixed.wav", Duration: 1, FileSize: int64(len(wav))}
	if err := e.store.AddRecording(ctx, &rec); err != nil {
		t.Fatal(err)
	}
	gone := app.Recording{CallID: id, Kind: "company", Path: "gone.wav"}
	if err := e.store.AddRecording(ctx, &gone); err != nil {
		t.Fatal(err)
	}
	r = e.do("GET", "/api/calls/"+id+"/recordings", nil).want(t, 200)
	recs := r.body["recordings"].([]any)
	if len(recs) != 2 {
		t.Fatalf("recordings = %s", r.raw)
	}
	url := recs[0].(map[string]any)["url"].(string)
	if url != "/api/recordings/"+rec.ID+"/file" {
		t.Errorf("url = %q", url)
	}
	full := e.do("GET", url, nil).want(t, 200)
	if full.header.Get("Content-Type") != "audio/wav" || len(full.raw) != len(wav) {
		t.Errorf("file: %s, %d bytes", full.header.Get("Content-Type"), len(full.raw))
	}
	req, _ := http.NewRequest("GET", e.srv.URL+url, nil)
	req.Header.Set("Range", "bytes=100-199")
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	part := make([]byte, 200)
	n, _ := res.Body.Read(part)
	res.Body.Close()
	if res.StatusCode != http.StatusPartialContent || n != 100 || part[0] != wav[100] || res.Header.Get("Content-Range") != fmt.Sprintf("bytes 100-199/%d", len(wav)) {
		t.Errorf("range: status %d, %d bytes, Content-Range %q", res.StatusCode, n, res.Header.Get("Content-Range"))
	}
	e.do("GET", "/api/recordings/"+gone.ID+"/file", nil).wantError(t, 404, "recording file missing")
	e.do("GET", "/api/recordings/rec_nope/file", nil).wantError(t, 404, "rec_nope")
	e.do("GET", "/api/calls/call_nope/recordings", nil).wantError(t, 404, "call_nope")
}
