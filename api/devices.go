package api

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/holdslayer/holdslayer/app"
)

// deviceRequest is the body of POST and PUT /api/devices.
type deviceRequest struct {
	Name         string   `json:"name"`
	Type         string   `json:"type"`
	SIPURI       string   `json:"sip_uri"`
	Endpoint     string   `json:"endpoint"`
	Priority     *int     `json:"priority"`
	Capabilities []string `json:"capabilities"`
	IsOnline     *bool    `json:"is_online"`
}

// deviceView is a device as the API shows it.
type deviceView struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Type         string   `json:"type"`
	SIPURI       string   `json:"sip_uri"`
	Endpoint     string   `json:"endpoint"`
	IsOnline     bool     `json:"is_online"`
	Priority     int      `json:"priority"`
	Capabilities []string `json:"capabilities"`
}

func toDeviceView(d app.Device) deviceView {
	caps := d.Capabilities
	if caps == nil {
		caps = []string{}
	}
	return deviceView{ID: d.ID, Name: d.Name, Type: d.Type, SIPURI: d.SIPURI, Endpoint: d.Endpoint,
		IsOnline: d.IsOnline, Priority: d.Priority, Capabilities: caps}
}

var deviceTypes = []string{"sip_phone", "softphone", "cell", "webrtc", "landline"}

func validateDevice(req *deviceRequest) error {
	if err := requireText("name", req.Name, 200); err != nil {
		return err
	}
	if req.Type == "" {
		req.Type = "sip_phone"
	}
	known := false
	for _, t := range deviceTypes {
		known = known || t == req.Type
	}
	if !known {
		return badRequest("unknown device type %q: must be one of %s", req.Type, strings.Join(deviceTypes, ", "))
	}
	if req.SIPURI == "" && req.Endpoint == "" {
		return badRequest("field \"sip_uri\" or \"endpoint\" is required")
	}
	if req.SIPURI != "" {
		rest, ok := strings.CutPrefix(req.SIPURI, "sip:")
		if !ok {
			rest, ok = strings.CutPrefix(req.SIPURI, "sips:")
		}
		if !ok || rest == "" || strings.ContainsAny(rest, " \t\r\n<>\"") {
			return badRequest("invalid sip_uri %q: expected sip:user@host", req.SIPURI)
		}
		if err := maxLen("sip_uri", req.SIPURI, 300); err != nil {
			return err
		}
	}
	if req.Endpoint != "" {
		tech, res, ok := strings.Cut(req.Endpoint, "/")
		if !ok || tech == "" || res == "" || strings.ContainsAny(req.Endpoint, " \t\r\n&") {
			return badRequest("invalid endpoint %q: expected an Asterisk dial string such as PJSIP/robert", req.Endpoint)
		}
		if err := maxLen("endpoint", req.Endpoint, 300); err != nil {
			return err
		}
	}
	if req.Priority != nil && (*req.Priority < 0 || *req.Priority > 1000) {
		return badRequest("field \"priority\" must be between 0 and 1000, got %d", *req.Priority)
	}
	for i, cp := range req.Capabilities {
		if strings.TrimSpace(cp) == "" || len(cp) > 50 {
			return badRequest("capability %d must be 1 to 50 characters", i)
		}
	}
	return nil
}

// sipURITaken returns a 409 when another device already has uri.
func (s *server) sipURITaken(c *gin.Context, uri, selfID string) error {
	if uri == "" {
		return nil
	}
	devs, err := s.store.ListDevices(c.Request.Context())
	if err != nil {
		return fmt.Errorf("list devices: %w", err)
	}
	for _, d := range devs {
		if d.ID != selfID && strings.EqualFold(d.SIPURI, uri) {
			return conflict("device already registered with sip_uri %s: %s", uri, d.ID)
		}
	}
	return nil
}

func (s *server) listDevices(c *gin.Context) error {
	devs, err := s.store.ListDevices(c.Request.Context())
	if err != nil {
		return fmt.Errorf("list devices: %w", err)
	}
	out := make([]deviceView, 0, len(devs))
	for _, d := range devs {
		out = append(out, toDeviceView(d))
	}
	c.JSON(http.StatusOK, gin.H{"devices": out, "total": len(out)})
	return nil
}

func (s *server) getDevice(c *gin.Context) error {
	d, err := s.store.GetDevice(c.Request.Context(), c.Param("device_id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, toDeviceView(d))
	return nil
}

func (s *server) createDevice(c *gin.Context) error {
	var req deviceRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := validateDevice(&req); err != nil {
		return err
	}
	if err := s.sipURITaken(c, req.SIPURI, ""); err != nil {
		return err
	}
	d := app.Device{Name: req.Name, Type: req.Type, SIPURI: req.SIPURI,
		Endpoint: req.Endpoint, Capabilities: req.Capabilities}
	if req.Priority != nil {
		d.Priority = *req.Priority
	}
	if req.IsOnline != nil {
		d.IsOnline = *req.IsOnline
	}
	ctx := c.Request.Context()
	if err := s.store.CreateDevice(ctx, &d); err != nil {
		return err
	}
	saved, err := s.store.GetDevice(ctx, d.ID)
	if err != nil {
		return fmt.Errorf("reload device %s: %w", d.ID, err)
	}
	c.JSON(http.StatusCreated, toDeviceView(saved))
	return nil
}

func (s *server) updateDevice(c *gin.Context) error {
	id := c.Param("device_id")
	var req deviceRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := validateDevice(&req); err != nil {
		return err
	}
	ctx := c.Request.Context()
	d, err := s.store.GetDevice(ctx, id)
	if err != nil {
		return err
	}
	if err := s.sipURITaken(c, req.SIPURI, id); err != nil {
		return err
	}
	d.Name, d.Type, d.SIPURI, d.Endpoint, d.Capabilities = req.Name, req.Type, req.SIPURI, req.Endpoint, req.Capabilities
	if req.Priority != nil {
		d.Priority = *req.Priority
	}
	if req.IsOnline != nil {
		d.IsOnline = *req.IsOnline
	}
	if err := s.store.UpdateDevice(ctx, &d); err != nil {
		return err
	}
	saved, err := s.store.GetDevice(ctx, id)
	if err != nil {
		return fmt.Errorf("reload device %s: %w", id, err)
	}
	c.JSON(http.StatusOK, toDeviceView(saved))
	return nil
}

func (s *server) deleteDevice(c *gin.Context) error {
	if err := s.store.DeleteDevice(c.Request.Context(), c.Param("device_id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}
