package api

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/holdslayer/holdslayer/app"
)

const (
	defaultPageSize = 50
	maxPageSize     = 500
)

// pageOf reads limit/offset or page/per_page (1-based) from the query.
func pageOf(c *gin.Context) (app.Page, error) {
	p := app.Page{Limit: defaultPageSize}
	intParam := func(name string, min int) (int, bool, error) {
		v, ok := c.GetQuery(name)
		if !ok || v == "" {
			return 0, false, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, false, badRequest("query parameter %q must be an integer, got %q", name, v)
		}
		if n < min {
			return 0, false, badRequest("query parameter %q must be at least %d, got %d", name, min, n)
		}
		return n, true, nil
	}
	limit, hasLimit, err := intParam("limit", 1)
	if err != nil {
		return p, err
	}
	offset, hasOffset, err := intParam("offset", 0)
	if err != nil {
		return p, err
	}
	page, hasPage, err := intParam("page", 1)
	if err != nil {
		return p, err
	}
	perPage, hasPerPage, err := intParam("per_page", 1)
	if err != nil {
		return p, err
	}
	if (hasPage || hasPerPage) && (hasLimit || hasOffset) {
		return p, badRequest("use either limit/offset or page/per_page, not both")
	}
	if hasPerPage {
		limit, hasLimit = perPage, true
	}
	if hasLimit {
		if limit > maxPageSize {
			return p, badRequest("page size must be at most %d, got %d", maxPageSize, limit)
		}
		p.Limit = limit
	}
	p.Offset = offset
	if hasPage {
		p.Offset = (page - 1) * p.Limit
	}
	return p, nil
}

// parseWhen reads an RFC 3339 timestamp or a YYYY-MM-DD date; endOfDay moves a bare date to
// its last microsecond so "to=2026-01-15" includes that whole day.
func parseWhen(name, v string, endOfDay bool) (*time.Time, error) {
	if v == "" {
		return nil, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return &t, nil
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return nil, badRequest("query parameter %q must be an RFC 3339 time or a YYYY-MM-DD date, got %q", name, v)
	}
	if endOfDay {
		t = t.AddDate(0, 0, 1).Add(-time.Microsecond)
	}
	return &t, nil
}

// history is GET /api/calls/history: stored calls, newest first, filtered and paginated.
func (s *server) history(c *gin.Context) error {
	page, err := pageOf(c)
	if err != nil {
		return err
	}
	f := app.CallFilter{Number: c.Query("number"), Company: c.Query("company")}
	if v := c.Query("status"); v != "" {
		if f.Status, err = validStatus(v); err != nil {
			return err
		}
	}
	if f.From, err = parseWhen("from", c.Query("from"), false); err != nil {
		return err
	}
	if f.To, err = parseWhen("to", c.Query("to"), true); err != nil {
		return err
	}
	if f.From != nil && f.To != nil && f.To.Before(*f.From) {
		return badRequest("query parameter \"to\" is before \"from\"")
	}
	calls, total, err := s.store.ListCalls(c.Request.Context(), f, page)
	if err != nil {
		return fmt.Errorf("list call history: %w", err)
	}
	items := make([]callSummary, 0, len(calls))
	for _, call := range calls {
		items = append(items, s.summary(call))
	}
	c.JSON(http.StatusOK, gin.H{"items": items, "total": total, "limit": page.Limit, "offset": page.Offset})
	return nil
}

// requireCall returns 404 unless the call exists, live or stored.
func (s *server) requireCall(c *gin.Context) (string, error) {
	id := c.Param("call_id")
	if _, err := s.calls.Get(c.Request.Context(), id); err != nil {
		return id, err
	}
	return id, nil
}

// callEvents is GET /api/calls/{call_id}/events: the stored timeline, oldest first.
func (s *server) callEvents(c *gin.Context) error {
	id, err := s.requireCall(c)
	if err != nil {
		return err
	}
	types, err := parseTypes(c.Query("types"))
	if err != nil {
		return err
	}
	since, err := parseSince(c.Query("since"))
	if err != nil {
		return err
	}
	evs, err := s.store.ListEvents(c.Request.Context(), id, types, since, 0)
	if err != nil {
		return fmt.Errorf("list events of %s: %w", id, err)
	}
	out := make([]wireEvent, 0, len(evs))
	for _, ev := range evs {
		out = append(out, toWire(ev))
	}
	c.JSON(http.StatusOK, gin.H{"call_id": id, "events": out, "total": len(out)})
	return nil
}

func parseSince(v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, badRequest("query parameter \"since\" must be a non-negative event seq, got %q", v)
	}
	return n, nil
}

type transcriptSegment struct {
	Speaker string    `json:"speaker"`
	Text    string    `json:"text"`
	IsFinal bool      `json:"is_final"`
	StartAt time.Time `json:"start_at"`
	EndAt   time.Time `json:"end_at"`
}

// transcript is GET /api/calls/{call_id}/transcript.
func (s *server) transcript(c *gin.Context) error {
	id, err := s.requireCall(c)
	if err != nil {
		return err
	}
	segs, err := s.store.ListTranscript(c.Request.Context(), id)
	if err != nil {
		return fmt.Errorf("list transcript of %s: %w", id, err)
	}
	out := make([]transcriptSegment, 0, len(segs))
	var text []string
	for _, seg := range segs {
		out = append(out, transcriptSegment{Speaker: seg.Speaker, Text: seg.Text, IsFinal: seg.IsFinal,
			StartAt: seg.StartAt.UTC(), EndAt: seg.EndAt.UTC()})
		if seg.IsFinal {
			text = append(text, seg.Speaker+": "+seg.Text)
		}
	}
	c.JSON(http.StatusOK, gin.H{"call_id": id, "segments": out, "text": strings.Join(text, "\n")})
	return nil
}

type recordingView struct {
	ID        string    `json:"id"`
	CallID    string    `json:"call_id"`
	Kind      string    `json:"kind"`
	Duration  float64   `json:"duration"`
	FileSize  int64     `json:"file_size"`
	CreatedAt time.Time `json:"created_at"`
	URL       string    `json:"url"`
}

// callRecordings is GET /api/calls/{call_id}/recordings.
func (s *server) callRecordings(c *gin.Context) error {
	id, err := s.requireCall(c)
	if err != nil {
		return err
	}
	recs, err := s.store.ListRecordings(c.Request.Context(), id)
	if err != nil {
		return fmt.Errorf("list recordings of %s: %w", id, err)
	}
	out := make([]recordingView, 0, len(recs))
	for _, r := range recs {
		out = append(out, recordingView{ID: r.ID, CallID: r.CallID, Kind: r.Kind, Duration: r.Duration,
			FileSize: r.FileSize, CreatedAt: r.CreatedAt.UTC(), URL: "/api/recordings/" + r.ID + "/file"})
	}
	c.JSON(http.StatusOK, gin.H{"call_id": id, "recordings": out})
	return nil
}

// recordingFile is GET /api/recordings/{recording_id}/file: the WAV, with Range support.
func (s *server) recordingFile(c *gin.Context) error {
	id := c.Param("recording_id")
	rec, err := s.store.GetRecording(c.Request.Context(), id)
	if err != nil {
		return err
	}
	path := rec.Path
	if !filepath.IsAbs(path) {
		if s.recDir == "" {
			return notFound("recording file missing: %s", id)
		}
		path = filepath.Join(s.recDir, path)
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return notFound("recording file missing: %s", id)
	}
	if err != nil {
		return fmt.Errorf("open recording %s: %w", id, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("stat recording %s: %w", id, err)
	}
	if st.IsDir() {
		return notFound("recording file missing: %s", id)
	}
	c.Header("Content-Type", "audio/wav")
	c.Header("Content-Disposition", fmt.Sprintf("attachment; filename=%q", id+".wav"))
	http.ServeContent(c.Writer, c.Request, id+".wav", st.ModTime(), f)
	return nil
}
