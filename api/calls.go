package api

import (
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/holdslayer/holdslayer/app"
)

// outboundRequest is POST /api/calls/outbound.
type outboundRequest struct {
	Number     string        `json:"number"`
	Mode       string        `json:"mode"`
	Intent     string        `json:"intent"`
	Device     string        `json:"device"`
	CallFlowID string        `json:"call_flow_id"`
	Services   *app.Services `json:"services"`
}

// holdSlayerRequest is POST /api/calls/hold-slayer: outbound with mode hold_slayer, and the
// device named transfer_to.
type holdSlayerRequest struct {
	Number     string        `json:"number"`
	Intent     string        `json:"intent"`
	CallFlowID string        `json:"call_flow_id"`
	TransferTo string        `json:"transfer_to"`
	Services   *app.Services `json:"services"`
}

// placedCall is the response to placing a call.
type placedCall struct {
	CallID    string     `json:"call_id"`
	Status    string     `json:"status"`
	Number    string     `json:"number"`
	Mode      string     `json:"mode"`
	StartedAt *time.Time `json:"started_at,omitempty"`
}

// classification is one point of a call's classification history.
type classification struct {
	Timestamp  int64   `json:"timestamp"`
	Type       string  `json:"type"`
	Confidence float64 `json:"confidence"`
}

// callView is GET /api/calls/{call_id}: the seed's fields plus what a client needs next.
type callView struct {
	CallID                string           `json:"call_id"`
	Status                string           `json:"status"`
	Number                string           `json:"number"`
	Mode                  string           `json:"mode"`
	Duration              int64            `json:"duration"`
	HoldTime              int64            `json:"hold_time"`
	AudioType             string           `json:"audio_type"`
	TranscriptExcerpt     string           `json:"transcript_excerpt"`
	ClassificationHistory []classification `json:"classification_history"`
	Services              app.Services     `json:"services"`
	EstimatedWait         *int64           `json:"estimated_wait,omitempty"`
	Intent                string           `json:"intent,omitempty"`
	Device                string           `json:"device,omitempty"`
	CallFlowID            string           `json:"call_flow_id,omitempty"`
	Company               string           `json:"company,omitempty"`
	StartedAt             time.Time        `json:"started_at"`
	AnsweredAt            *time.Time       `json:"answered_at,omitempty"`
	EndedAt               *time.Time       `json:"ended_at,omitempty"`
	EndReason             string           `json:"end_reason,omitempty"`
}

// callSummary is one row of GET /api/calls and GET /api/calls/history.
type callSummary struct {
	CallID    string     `json:"call_id"`
	Status    string     `json:"status"`
	Number    string     `json:"number"`
	Mode      string     `json:"mode"`
	Duration  int64      `json:"duration"`
	HoldTime  int64      `json:"hold_time"`
	AudioType string     `json:"audio_type,omitempty"`
	Intent    string     `json:"intent,omitempty"`
	Company   string     `json:"company,omitempty"`
	Device    string     `json:"device,omitempty"`
	StartedAt time.Time  `json:"started_at"`
	EndedAt   *time.Time `json:"ended_at,omitempty"`
	EndReason string     `json:"end_reason,omitempty"`
}

func seconds(d float64) int64 { return int64(math.Round(d)) }

func (s *server) summary(c app.Call) callSummary {
	return callSummary{
		CallID: c.ID, Status: string(c.Status), Number: c.Number, Mode: string(c.Mode),
		Duration: seconds(c.Duration(s.clock.Now()).Seconds()), HoldTime: seconds(c.HoldSeconds),
		AudioType: c.AudioType, Intent: c.Intent, Company: c.Company, Device: c.Device,
		StartedAt: c.StartedAt.UTC(), EndedAt: utcPtr(c.EndedAt), EndReason: c.EndReason,
	}
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func servicesOr(s *app.Services, def app.Services) app.Services {
	if s == nil {
		return def
	}
	return *s
}

func (s *server) placeOutbound(c *gin.Context) error {
	var req outboundRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := validNumber("number", req.Number); err != nil {
		return err
	}
	mode, err := validMode(req.Mode)
	if err != nil {
		return err
	}
	return s.place(c, app.CallRequest{
		Number: req.Number, Mode: mode, Intent: req.Intent, Device: req.Device,
		CallFlowID: req.CallFlowID, Services: servicesOr(req.Services, app.Services{}),
	})
}

func (s *server) placeHoldSlayer(c *gin.Context) error {
	var req holdSlayerRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := validNumber("number", req.Number); err != nil {
		return err
	}
	return s.place(c, app.CallRequest{
		Number: req.Number, Mode: app.ModeHoldSlayer, Intent: req.Intent, Device: req.TransferTo,
		CallFlowID: req.CallFlowID, Services: servicesOr(req.Services, app.Services{}),
	})
}

func (s *server) place(c *gin.Context, req app.CallRequest) error {
	if err := maxLen("intent", req.Intent, 2000); err != nil {
		return err
	}
	call, err := s.calls.Place(c.Request.Context(), req)
	if err != nil {
		return err // the engine's error names the problem; its detail reaches the client as is
	}
	var started *time.Time
	if !call.StartedAt.IsZero() {
		started = utcPtr(&call.StartedAt)
	}
	c.JSON(http.StatusCreated, placedCall{
		CallID: call.ID, Status: string(call.Status), Number: call.Number, Mode: string(call.Mode), StartedAt: started,
	})
	return nil
}

func (s *server) getCall(c *gin.Context) error {
	view, err := s.callView(c, c.Param("call_id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, view)
	return nil
}

// callView builds the full view: the engine's snapshot plus the stored classification history.
func (s *server) callView(c *gin.Context, id string) (callView, error) {
	ctx := c.Request.Context()
	call, err := s.calls.Get(ctx, id)
	if err != nil {
		return callView{}, err
	}
	evs, err := s.store.ListEvents(ctx, id, []app.EventType{app.EventAudioClassified}, 0, 0)
	if err != nil {
		return callView{}, fmt.Errorf("list classification events of %s: %w", id, err)
	}
	hist := make([]classification, 0, len(evs))
	for _, ev := range evs {
		typ, _ := ev.Data["audio_type"].(string)
		conf, _ := ev.Data["confidence"].(float64)
		hist = append(hist, classification{Timestamp: ev.Timestamp.Unix(), Type: typ, Confidence: conf})
	}
	sum := s.summary(call)
	v := callView{
		CallID: call.ID, Status: sum.Status, Number: call.Number, Mode: sum.Mode,
		Duration: sum.Duration, HoldTime: sum.HoldTime, AudioType: call.AudioType,
		TranscriptExcerpt: call.TranscriptExcerpt, ClassificationHistory: hist, Services: call.Services,
		Intent: call.Intent, Device: call.Device, CallFlowID: call.CallFlowID, Company: call.Company,
		StartedAt: sum.StartedAt, AnsweredAt: utcPtr(call.AnsweredAt), EndedAt: sum.EndedAt, EndReason: call.EndReason,
	}
	if call.EstimatedWaitSeconds != nil {
		w := seconds(*call.EstimatedWaitSeconds)
		v.EstimatedWait = &w
	}
	return v, nil
}

func (s *server) listActive(c *gin.Context) error {
	active := s.calls.Active(c.Request.Context())
	out := make([]callSummary, 0, len(active))
	for _, call := range active {
		out = append(out, s.summary(call))
	}
	c.JSON(http.StatusOK, gin.H{"calls": out, "total": len(out)})
	return nil
}

func (s *server) hangup(c *gin.Context) error {
	id := c.Param("call_id")
	ctx := c.Request.Context()
	call, err := s.calls.Get(ctx, id)
	if err != nil {
		return err
	}
	if call.Status.Terminal() {
		return conflict("call already ended: %s (status %s)", id, call.Status)
	}
	if err := s.calls.Hangup(ctx, id); err != nil {
		return err
	}
	view, err := s.callView(c, id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, view)
	return nil
}

type transferRequest struct {
	Device string `json:"device"`
}

func (s *server) transfer(c *gin.Context) error {
	id := c.Param("call_id")
	var req transferRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := maxLen("device", req.Device, 200); err != nil {
		return err
	}
	if err := s.calls.Transfer(c.Request.Context(), id, req.Device); err != nil {
		return err
	}
	c.JSON(http.StatusAccepted, gin.H{"call_id": id, "device": req.Device, "status": string(app.StatusTransferring)})
	return nil
}

type dtmfRequest struct {
	Digits string `json:"digits"`
}

func (s *server) dtmf(c *gin.Context) error {
	id := c.Param("call_id")
	var req dtmfRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	req.Digits = strings.ToUpper(req.Digits)
	if err := validDTMF("digits", req.Digits); err != nil {
		return err
	}
	if err := s.calls.SendDTMF(c.Request.Context(), id, req.Digits); err != nil {
		return err
	}
	c.JSON(http.StatusAccepted, gin.H{"call_id": id, "digits": req.Digits})
	return nil
}
