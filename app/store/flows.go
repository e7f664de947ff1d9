package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/holdslayer/holdslayer/app"
)

// CreateFlow stores a new call flow. An empty ID gets a generated flow_ id; CreatedAt and
// UpdatedAt default to now. The stored values are written back into f.
func (s *Store) CreateFlow(ctx context.Context, f *app.CallFlow) error {
	if f.ID == "" {
		f.ID = newID("flow_")
	}
	t := now()
	if f.CreatedAt.IsZero() {
		f.CreatedAt = t
	}
	f.UpdatedAt = t
	row, err := flowToRow(f)
	if err != nil {
		return err
	}
	if err := s.w.WithContext(ctx).Create(&row).Error; err != nil {
		if isDuplicate(err) {
			return fmt.Errorf("call flow already exists: %s: %w", f.ID, app.ErrConflict)
		}
		return dbErr("create call flow "+f.ID, err)
	}
	return fillFlow(f, row)
}

// UpdateFlow overwrites the stored flow with f (keeping its CreatedAt) and sets UpdatedAt.
func (s *Store) UpdateFlow(ctx context.Context, f *app.CallFlow) error {
	f.UpdatedAt = now()
	row, err := flowToRow(f)
	if err != nil {
		return err
	}
	db := s.w.WithContext(ctx)
	res := db.Model(&flowRow{}).Where("id = ?", f.ID).Select("*").Omit("id", "created_at").Updates(&row)
	if res.Error != nil {
		return dbErr("update call flow "+f.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("call flow not found: %s: %w", f.ID, app.ErrNotFound)
	}
	if err := db.Where("id = ?", f.ID).Take(&row).Error; err != nil {
		return dbErr("reread call flow "+f.ID, err)
	}
	return fillFlow(f, row)
}

func fillFlow(f *app.CallFlow, row flowRow) error {
	v, err := row.toApp()
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// GetFlow returns the stored flow with that id.
func (s *Store) GetFlow(ctx context.Context, id string) (app.CallFlow, error) {
	var row flowRow
	err := s.r.WithContext(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return app.CallFlow{}, fmt.Errorf("call flow not found: %s: %w", id, app.ErrNotFound)
	}
	if err != nil {
		return app.CallFlow{}, dbErr("get call flow "+id, err)
	}
	return row.toApp()
}

// ListFlows returns the flows matching f, by company then name. Company compares
// case-insensitively, Tag must be one of the flow's tags exactly, PhoneNumber matches exactly.
func (s *Store) ListFlows(ctx context.Context, f app.FlowFilter) ([]app.CallFlow, error) {
	q := s.r.WithContext(ctx).Model(&flowRow{})
	if f.Company != "" {
		q = q.Where("lower(company) = lower(?)", f.Company)
	}
	if f.PhoneNumber != "" {
		q = q.Where("phone_number = ?", f.PhoneNumber)
	}
	if f.Tag != "" {
		// Narrow in SQL on the JSON text (portable across SQLite and PostgreSQL), then check
		// membership exactly below.
		q = q.Where(`tags LIKE ? ESCAPE '\'`, "%"+likeEscape(jsonString(f.Tag))+"%")
	}
	var rows []flowRow
	if err := q.Order("company").Order("name").Order("id").Find(&rows).Error; err != nil {
		return nil, dbErr("list call flows", err)
	}
	flows := make([]app.CallFlow, 0, len(rows))
	for _, r := range rows {
		fl, err := r.toApp()
		if err != nil {
			return nil, err
		}
		if f.Tag != "" && !slices.Contains(fl.Tags, f.Tag) {
			continue
		}
		flows = append(flows, fl)
	}
	return flows, nil
}

// DeleteFlow removes the flow with that id.
func (s *Store) DeleteFlow(ctx context.Context, id string) error {
	res := s.w.WithContext(ctx).Where("id = ?", id).Delete(&flowRow{})
	if res.Error != nil {
		return dbErr("delete call flow "+id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("call flow not found: %s: %w", id, app.ErrNotFound)
	}
	return nil
}

// jsonString is s as it appears inside a JSON document, quotes included.
func jsonString(s string) string {
	b, _ := json.Marshal(s) // marshalling a string cannot fail
	return string(b)
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// likeEscape makes s match literally in a LIKE pattern with ESCAPE '\'.
func likeEscape(s string) string { return likeEscaper.Replace(s) }
