package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/holdslayer/holdslayer/app"
)

// CreateCall stores a new call. An empty ID gets a generated call_ id and a zero StartedAt
// becomes now; both are written back into c.
func (s *Store) CreateCall(ctx context.Context, c *app.Call) error {
	if c.ID == "" {
		c.ID = newID("call_")
	}
	if c.StartedAt.IsZero() {
		c.StartedAt = now()
	}
	row := callToRow(c)
	if err := s.w.WithContext(ctx).Create(&row).Error; err != nil {
		if isDuplicate(err) {
			return fmt.Errorf("call already exists: %s: %w", c.ID, app.ErrConflict)
		}
		return dbErr("create call "+c.ID, err)
	}
	*c = row.toApp()
	return nil
}

// UpdateCall overwrites every stored field of the call with c's values.
func (s *Store) UpdateCall(ctx context.Context, c *app.Call) error {
	row := callToRow(c)
	res := s.w.WithContext(ctx).Model(&callRow{}).Where("id = ?", c.ID).Select("*").Omit("id").Updates(&row)
	if res.Error != nil {
		return dbErr("update call "+c.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("call not found: %s: %w", c.ID, app.ErrNotFound)
	}
	*c = row.toApp()
	return nil
}

// GetCall returns the stored call with that id.
func (s *Store) GetCall(ctx context.Context, id string) (app.Call, error) {
	var row callRow
	err := s.r.WithContext(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return app.Call{}, fmt.Errorf("call not found: %s: %w", id, app.ErrNotFound)
	}
	if err != nil {
		return app.Call{}, dbErr("get call "+id, err)
	}
	return row.toApp(), nil
}

// ListCalls returns the calls matching f, newest first, within page p (Limit <= 0: all), and
// how many match in total. Company compares case-insensitively; From and To bound StartedAt
// inclusively.
func (s *Store) ListCalls(ctx context.Context, f app.CallFilter, p app.Page) ([]app.Call, int64, error) {
	q := s.r.WithContext(ctx).Model(&callRow{})
	if f.Number != "" {
		q = q.Where("number = ?", f.Number)
	}
	if f.Company != "" {
		q = q.Where("lower(company) = lower(?)", f.Company)
	}
	if f.Status != "" {
		q = q.Where("status = ?", string(f.Status))
	}
	if f.From != nil {
		q = q.Where("started_at >= ?", normTime(*f.From))
	}
	if f.To != nil {
		q = q.Where("started_at <= ?", normTime(*f.To))
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, dbErr("count calls", err)
	}
	q = q.Order("started_at DESC").Order("id DESC")
	if p.Limit > 0 {
		q = q.Limit(p.Limit)
	}
	if p.Offset > 0 {
		q = q.Offset(p.Offset)
	}
	var rows []callRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, 0, dbErr("list calls", err)
	}
	calls := make([]app.Call, len(rows))
	for i, r := range rows {
		calls[i] = r.toApp()
	}
	return calls, total, nil
}

// terminalStatuses are the statuses EndOrphanedCalls leaves alone.
var terminalStatuses = []string{string(app.StatusEnded), string(app.StatusFailed)}

// EndOrphanedCalls marks every call not in a terminal status as ended at at with reason, and
// returns their ids, oldest first.
func (s *Store) EndOrphanedCalls(ctx context.Context, reason string, at time.Time) ([]string, error) {
	var ids []string
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&callRow{}).Where("status NOT IN ?", terminalStatuses).
			Order("started_at").Order("id").Pluck("id", &ids).Error; err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		return tx.Model(&callRow{}).Where("id IN ?", ids).Updates(map[string]any{
			"status":     string(app.StatusEnded),
			"end_reason": reason,
			"ended_at":   normTime(at),
		}).Error
	})
	if err != nil {
		return nil, dbErr("end orphaned calls", err)
	}
	if len(ids) > 0 {
		s.log.Info("ended calls left open by a previous run", "count", len(ids), "reason", reason)
	}
	return ids, nil
}

// AppendEvent stores ev and sets ev.Seq. A zero Timestamp becomes now.
func (s *Store) AppendEvent(ctx context.Context, ev *app.Event) error {
	if ev.Timestamp.IsZero() {
		ev.Timestamp = now()
	}
	row, err := eventToRow(ev)
	if err != nil {
		return err
	}
	row.Seq = 0 // always store-assigned
	if s.dialect.name == postgresDialect.name {
		// A client resumes with "events after the last seq I saw", so seqs must become
		// visible in order. PostgreSQL hands out the sequence at insert but shows the row at
		// commit, and two writers can commit the other way round; one lock per append, held
		// to commit, makes seq order commit order. (SQLite has a single writer already.)
		err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", eventAppendLock).Error; err != nil {
				return err
			}
			return tx.Create(&row).Error
		})
	} else {
		err = s.w.WithContext(ctx).Create(&row).Error
	}
	if err != nil {
		return dbErr(fmt.Sprintf("append %s event of call %s", ev.Type, ev.CallID), err)
	}
	ev.Seq = row.Seq
	ev.Timestamp = row.Timestamp
	return nil
}

// eventAppendLock is the PostgreSQL advisory lock key that serialises event appends
// (an arbitrary constant: "HSEV" in ASCII).
const eventAppendLock = 0x48534556

// ListEvents returns events with Seq > afterSeq in Seq order; callID and types filter when
// non-empty, and limit <= 0 means no limit.
func (s *Store) ListEvents(ctx context.Context, callID string, types []app.EventType, afterSeq int64, limit int) ([]app.Event, error) {
	q := s.r.WithContext(ctx).Model(&eventRow{}).Where("seq > ?", afterSeq)
	if callID != "" {
		q = q.Where("call_id = ?", callID)
	}
	if len(types) > 0 {
		ts := make([]string, len(types))
		for i, t := range types {
			ts[i] = string(t)
		}
		q = q.Where("type IN ?", ts)
	}
	q = q.Order("seq")
	if limit > 0 {
		q = q.Limit(limit)
	}
	var rows []eventRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, dbErr("list events", err)
	}
	events := make([]app.Event, 0, len(rows))
	for _, r := range rows {
		ev, err := r.toApp()
		if err != nil {
			return nil, err
		}
		events = append(events, ev)
	}
	return events, nil
}

// AddTranscript stores seg and sets seg.ID. The call must exist.
func (s *Store) AddTranscript(ctx context.Context, seg *app.TranscriptSegment) error {
	row := transcriptRow{
		CallID:  seg.CallID,
		Speaker: seg.Speaker,
		Text:    seg.Text,
		IsFinal: seg.IsFinal,
		StartAt: normTime(seg.StartAt),
		EndAt:   normTime(seg.EndAt),
	}
	if err := s.w.WithContext(ctx).Create(&row).Error; err != nil {
		if isMissingParent(err) {
			return fmt.Errorf("add transcript: call not found: %s: %w", seg.CallID, app.ErrNotFound)
		}
		return dbErr("add transcript of call "+seg.CallID, err)
	}
	*seg = row.toApp()
	return nil
}

// ListTranscript returns the call's segments in the order they were spoken.
func (s *Store) ListTranscript(ctx context.Context, callID string) ([]app.TranscriptSegment, error) {
	var rows []transcriptRow
	err := s.r.WithContext(ctx).Where("call_id = ?", callID).Order("start_at").Order("id").Find(&rows).Error
	if err != nil {
		return nil, dbErr("list transcript of call "+callID, err)
	}
	segs := make([]app.TranscriptSegment, len(rows))
	for i, r := range rows {
		segs[i] = r.toApp()
	}
	return segs, nil
}
