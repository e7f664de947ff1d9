package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/holdslayer/holdslayer/app/notify"
)

// NotificationManager is what the notification routes need; *notify.Notifier implements it.
// Its views never carry secret values.
type NotificationManager interface {
	ListTargets(ctx context.Context) ([]notify.TargetView, error)
	GetTarget(ctx context.Context, id string) (notify.TargetView, error)
	CreateTarget(ctx context.Context, t notify.Target) (notify.TargetView, error)
	UpdateTarget(ctx context.Context, id string, t notify.Target) (notify.TargetView, error)
	DeleteTarget(ctx context.Context, id string) error
	Deliveries(ctx context.Context, f notify.DeliveryFilter) ([]notify.Delivery, error)
	Test(ctx context.Context, id string) (notify.Delivery, error)
}

var _ NotificationManager = (*notify.Notifier)(nil)

// registerNotifications adds the notification target CRUD, POST /notifications/test and
// GET /notifications/deliveries to g (the authenticated /api group).
func registerNotifications(g *gin.RouterGroup, n NotificationManager) {
	h := notificationHandlers{n: n}
	g.GET("/notifications/targets", handle(h.list))
	g.POST("/notifications/targets", handle(h.create))
	g.GET("/notifications/targets/:target_id", handle(h.get))
	g.PUT("/notifications/targets/:target_id", handle(h.update))
	g.DELETE("/notifications/targets/:target_id", handle(h.delete))
	g.POST("/notifications/test", handle(h.test))
	g.GET("/notifications/deliveries", handle(h.deliveries))
}

type notificationHandlers struct{ n NotificationManager }

// targetRequest is the body of POST and PUT /api/notifications/targets. Secrets are
// write-only: on PUT an omitted or empty secret keeps the stored value and "-" removes it.
type targetRequest struct {
	ID       string            `json:"id"` // POST only, optional: a stable id, e.g. from configuration
	Name     string            `json:"name"`
	Kind     string            `json:"kind"`
	Events   []string          `json:"events"`
	DeviceID string            `json:"device_id"`
	Enabled  *bool             `json:"enabled"` // default true
	Config   map[string]string `json:"config"`
	Secrets  map[string]string `json:"secrets"`
}

const maxDeliveryPage = 500

func (r targetRequest) target() (notify.Target, error) {
	if err := maxLen("name", r.Name, 200); err != nil {
		return notify.Target{}, err
	}
	if err := maxLen("id", r.ID, 100); err != nil {
		return notify.Target{}, err
	}
	enabled := true
	if r.Enabled != nil {
		enabled = *r.Enabled
	}
	return notify.Target{ID: strings.TrimSpace(r.ID), Name: strings.TrimSpace(r.Name), Kind: r.Kind,
		Events: r.Events, DeviceID: r.DeviceID, Enabled: enabled, Config: r.Config, Secrets: r.Secrets}, nil
}

// list is GET /api/notifications/targets.
func (h notificationHandlers) list(c *gin.Context) error {
	ts, err := h.n.ListTargets(c.Request.Context())
	if err != nil {
		return err
	}
	if ts == nil {
		ts = []notify.TargetView{}
	}
	c.JSON(http.StatusOK, gin.H{"targets": ts, "total": len(ts)})
	return nil
}

// get is GET /api/notifications/targets/{target_id}.
func (h notificationHandlers) get(c *gin.Context) error {
	t, err := h.n.GetTarget(c.Request.Context(), c.Param("target_id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, t)
	return nil
}

// create is POST /api/notifications/targets: 201 with the target, secrets shown only by name.
func (h notificationHandlers) create(c *gin.Context) error {
	var req targetRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	t, err := req.target()
	if err != nil {
		return err
	}
	v, err := h.n.CreateTarget(c.Request.Context(), t)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, v)
	return nil
}

// update is PUT /api/notifications/targets/{target_id}: replaces the settings, merging secrets.
func (h notificationHandlers) update(c *gin.Context) error {
	var req targetRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	id := c.Param("target_id")
	if req.ID != "" && req.ID != id {
		return badRequest("field \"id\" (%q) does not match the path (%q)", req.ID, id)
	}
	t, err := req.target()
	if err != nil {
		return err
	}
	v, err := h.n.UpdateTarget(c.Request.Context(), id, t)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, v)
	return nil
}

// delete is DELETE /api/notifications/targets/{target_id}; the delivery history stays.
func (h notificationHandlers) delete(c *gin.Context) error {
	if err := h.n.DeleteTarget(c.Request.Context(), c.Param("target_id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

type testRequest struct {
	TargetID string `json:"target_id"`
}

// test is POST /api/notifications/test {"target_id"}: one attempt now, enabled or not. The
// answer is 200 with the recorded delivery whether it was sent or failed (ok says which);
// 404 is for an unknown target.
func (h notificationHandlers) test(c *gin.Context) error {
	var req testRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := requireText("target_id", req.TargetID, 100); err != nil {
		return err
	}
	d, err := h.n.Test(c.Request.Context(), req.TargetID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"ok": d.Status == notify.StatusSent, "delivery": d})
	return nil
}

// deliveries is GET /api/notifications/deliveries?target_id=&call_id=&limit=: newest first.
func (h notificationHandlers) deliveries(c *gin.Context) error {
	f := notify.DeliveryFilter{TargetID: c.Query("target_id"), CallID: c.Query("call_id"), Limit: 100}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxDeliveryPage {
			return badRequest("query parameter \"limit\" must be an integer from 1 to %d, got %q", maxDeliveryPage, v)
		}
		f.Limit = n
	}
	ds, err := h.n.Deliveries(c.Request.Context(), f)
	if err != nil {
		return fmt.Errorf("list deliveries: %w", err)
	}
	if ds == nil {
		ds = []notify.Delivery{}
	}
	c.JSON(http.StatusOK, gin.H{"deliveries": ds, "total": len(ds)})
	return nil
}
