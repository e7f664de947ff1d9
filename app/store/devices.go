package store

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/holdslayer/holdslayer/app"
)

// CreateDevice registers a device. An empty ID gets a generated dev_ id; a SIP URI that another
// device already has is refused with ErrConflict. The stored values are written back into d.
func (s *Store) CreateDevice(ctx context.Context, d *app.Device) error {
	if d.ID == "" {
		d.ID = newID("dev_")
	}
	t := now()
	if d.CreatedAt.IsZero() {
		d.CreatedAt = t
	}
	d.UpdatedAt = t
	row, err := deviceToRow(d)
	if err != nil {
		return err
	}
	db := s.w.WithContext(ctx)
	if err := db.Create(&row).Error; err != nil {
		if isDuplicate(err) {
			return s.deviceConflict(db, d)
		}
		return dbErr("create device "+d.ID, err)
	}
	return fillDevice(d, row)
}

// deviceConflict names which unique value a refused write collided with.
func (s *Store) deviceConflict(db *gorm.DB, d *app.Device) error {
	var n int64
	if d.SIPURI != "" {
		if err := db.Model(&deviceRow{}).Where("sip_uri = ? AND id <> ?", d.SIPURI, d.ID).Count(&n).Error; err != nil {
			return dbErr("check device "+d.ID, err)
		}
	}
	if n > 0 {
		return fmt.Errorf("device already registered: %s: %w", d.SIPURI, app.ErrConflict)
	}
	return fmt.Errorf("device already exists: %s: %w", d.ID, app.ErrConflict)
}

// UpdateDevice overwrites the stored device with d (keeping its CreatedAt) and sets UpdatedAt.
func (s *Store) UpdateDevice(ctx context.Context, d *app.Device) error {
	d.UpdatedAt = now()
	row, err := deviceToRow(d)
	if err != nil {
		return err
	}
	db := s.w.WithContext(ctx)
	res := db.Model(&deviceRow{}).Where("id = ?", d.ID).Select("*").Omit("id", "created_at").Updates(&row)
	if res.Error != nil {
		if isDuplicate(res.Error) {
			return s.deviceConflict(db, d)
		}
		return dbErr("update device "+d.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("device not found: %s: %w", d.ID, app.ErrNotFound)
	}
	if err := db.Where("id = ?", d.ID).Take(&row).Error; err != nil {
		return dbErr("reread device "+d.ID, err)
	}
	return fillDevice(d, row)
}

func fillDevice(d *app.Device, row deviceRow) error {
	v, err := row.toApp()
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// GetDevice returns the device with that id.
func (s *Store) GetDevice(ctx context.Context, id string) (app.Device, error) {
	var row deviceRow
	err := s.r.WithContext(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return app.Device{}, fmt.Errorf("device not found: %s: %w", id, app.ErrNotFound)
	}
	if err != nil {
		return app.Device{}, dbErr("get device "+id, err)
	}
	return row.toApp()
}

// ListDevices returns every device, highest priority (the one to ring first) first.
func (s *Store) ListDevices(ctx context.Context) ([]app.Device, error) {
	var rows []deviceRow
	err := s.r.WithContext(ctx).Order("priority DESC").Order("created_at").Order("id").Find(&rows).Error
	if err != nil {
		return nil, dbErr("list devices", err)
	}
	devs := make([]app.Device, 0, len(rows))
	for _, r := range rows {
		d, err := r.toApp()
		if err != nil {
			return nil, err
		}
		devs = append(devs, d)
	}
	return devs, nil
}

// DeleteDevice removes the device with that id.
func (s *Store) DeleteDevice(ctx context.Context, id string) error {
	res := s.w.WithContext(ctx).Where("id = ?", id).Delete(&deviceRow{})
	if res.Error != nil {
		return dbErr("delete device "+id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("device not found: %s: %w", id, app.ErrNotFound)
	}
	return nil
}
