package store

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/holdslayer/holdslayer/app"
)

// AddRecording stores a recording of an existing call. An empty ID gets a generated rec_ id and
// a zero CreatedAt becomes now; both are written back into r.
func (s *Store) AddRecording(ctx context.Context, r *app.Recording) error {
	if r.ID == "" {
		r.ID = newID("rec_")
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now()
	}
	row := recordingRow{
		ID:              r.ID,
		CallID:          r.CallID,
		Kind:            r.Kind,
		Path:            r.Path,
		DurationSeconds: r.Duration,
		FileSize:        r.FileSize,
		CreatedAt:       normTime(r.CreatedAt),
	}
	if err := s.w.WithContext(ctx).Create(&row).Error; err != nil {
		switch {
		case isDuplicate(err):
			return fmt.Errorf("recording already exists: %s: %w", r.ID, app.ErrConflict)
		case isMissingParent(err):
			return fmt.Errorf("add recording: call not found: %s: %w", r.CallID, app.ErrNotFound)
		}
		return dbErr("add recording of call "+r.CallID, err)
	}
	*r = row.toApp()
	return nil
}

// ListRecordings returns the call's recordings, oldest first; an empty callID lists all.
func (s *Store) ListRecordings(ctx context.Context, callID string) ([]app.Recording, error) {
	q := s.r.WithContext(ctx).Model(&recordingRow{})
	if callID != "" {
		q = q.Where("call_id = ?", callID)
	}
	var rows []recordingRow
	if err := q.Order("created_at").Order("id").Find(&rows).Error; err != nil {
		return nil, dbErr("list recordings of call "+callID, err)
	}
	recs := make([]app.Recording, len(rows))
	for i, r := range rows {
		recs[i] = r.toApp()
	}
	return recs, nil
}

// GetRecording returns the recording with that id.
func (s *Store) GetRecording(ctx context.Context, id string) (app.Recording, error) {
	var row recordingRow
	err := s.r.WithContext(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return app.Recording{}, fmt.Errorf("recording not found: %s: %w", id, app.ErrNotFound)
	}
	if err != nil {
		return app.Recording{}, dbErr("get recording "+id, err)
	}
	return row.toApp(), nil
}
