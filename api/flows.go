package api

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/holdslayer/holdslayer/app"
)

// flowRequest is the body of POST and PUT /api/call-flows.
type flowRequest struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Company     string     `json:"company"`
	PhoneNumber string     `json:"phone_number"`
	Tags        []string   `json:"tags"`
	Steps       []app.Step `json:"steps"`
}

// flowSummary is one row of GET /api/call-flows.
type flowSummary struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Company      string   `json:"company"`
	PhoneNumber  string   `json:"phone_number"`
	StepCount    int      `json:"step_count"`
	SuccessCount int      `json:"success_count"`
	FailCount    int      `json:"fail_count"`
	Tags         []string `json:"tags"`
}

// flowView is a whole flow with its steps.
type flowView struct {
	flowSummary
	Steps          []app.Step `json:"steps"`
	Stale          bool       `json:"stale"`
	LastVerifiedAt *time.Time `json:"last_verified_at,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

func toFlowSummary(f app.CallFlow) flowSummary {
	tags := f.Tags
	if tags == nil {
		tags = []string{}
	}
	return flowSummary{ID: f.ID, Name: f.Name, Company: f.Company, PhoneNumber: f.PhoneNumber,
		StepCount: len(f.Steps), SuccessCount: f.SuccessCount, FailCount: f.FailCount, Tags: tags}
}

func toFlowView(f app.CallFlow) flowView {
	steps := f.Steps
	if steps == nil {
		steps = []app.Step{}
	}
	return flowView{flowSummary: toFlowSummary(f), Steps: steps, Stale: f.Stale,
		LastVerifiedAt: utcPtr(f.LastVerifiedAt), CreatedAt: f.CreatedAt.UTC(), UpdatedAt: f.UpdatedAt.UTC()}
}

var stepTypes = map[app.StepType]bool{
	app.StepWait: true, app.StepListen: true, app.StepDTMF: true,
	app.StepHold: true, app.StepTransfer: true, app.StepSpeak: true,
}

// idPattern keeps ids usable in URL paths.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$`)

// validateFlow checks a flow is runnable: known step types, unique ids, links that land on a
// step, a terminal step, well-formed keys and timeouts.
func validateFlow(req *flowRequest) error {
	if err := requireText("name", req.Name, 200); err != nil {
		return err
	}
	if err := maxLen("company", req.Company, 200); err != nil {
		return err
	}
	if req.PhoneNumber != "" {
		if err := validNumber("phone_number", req.PhoneNumber); err != nil {
			return err
		}
	}
	for i, t := range req.Tags {
		if strings.TrimSpace(t) == "" || len(t) > 50 {
			return badRequest("tag %d must be 1 to 50 characters", i)
		}
	}
	if len(req.Steps) == 0 {
		return badRequest("flow must have at least one step")
	}
	if len(req.Steps) > 200 {
		return badRequest("flow has %d steps: at most 200", len(req.Steps))
	}
	ids := make(map[string]bool, len(req.Steps))
	terminal := false
	for i, st := range req.Steps {
		if st.ID == "" {
			return badRequest("step %d has no id", i)
		}
		if ids[st.ID] {
			return badRequest("duplicate step id %q", st.ID)
		}
		ids[st.ID] = true
		if !stepTypes[st.Type] {
			return badRequest("step %q has unknown type %q: must be one of WAIT, LISTEN, DTMF, HOLD, TRANSFER, SPEAK", st.ID, st.Type)
		}
		if st.Timeout != nil && (*st.Timeout < 0 || *st.Timeout > 3600) {
			return badRequest("step %q has timeout %g: must be between 0 and 3600 seconds", st.ID, *st.Timeout)
		}
		switch st.Type {
		case app.StepDTMF:
			if err := validDTMF(fmt.Sprintf("steps[%d].dtmf", i), st.DTMF); err != nil {
				return fmt.Errorf("step %q: %w", st.ID, err)
			}
		case app.StepSpeak:
			if err := requireText(fmt.Sprintf("steps[%d].text", i), st.Text, 1000); err != nil {
				return fmt.Errorf("step %q: %w", st.ID, err)
			}
		}
		if st.Type != app.StepDTMF && st.DTMF != "" {
			return badRequest("step %q of type %s must not carry dtmf", st.ID, st.Type)
		}
		if st.NextStep == "" {
			terminal = true
		}
	}
	for _, st := range req.Steps {
		if st.NextStep != "" && !ids[st.NextStep] {
			return badRequest("step %q has next_step %q, which is not a step of this flow", st.ID, st.NextStep)
		}
		if st.NextStep == st.ID {
			return badRequest("step %q has next_step pointing to itself", st.ID)
		}
	}
	if !terminal {
		return badRequest("flow has no terminal step: at least one step must have no next_step")
	}
	return nil
}

func (s *server) listFlows(c *gin.Context) error {
	flows, err := s.store.ListFlows(c.Request.Context(), app.FlowFilter{Company: c.Query("company"), Tag: c.Query("tag")})
	if err != nil {
		return fmt.Errorf("list call flows: %w", err)
	}
	out := make([]flowSummary, 0, len(flows))
	for _, f := range flows {
		out = append(out, toFlowSummary(f))
	}
	c.JSON(http.StatusOK, gin.H{"flows": out, "total": len(out)})
	return nil
}

func (s *server) getFlow(c *gin.Context) error {
	f, err := s.store.GetFlow(c.Request.Context(), c.Param("flow_id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, toFlowView(f))
	return nil
}

func (s *server) createFlow(c *gin.Context) error {
	var req flowRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := validateFlow(&req); err != nil {
		return err
	}
	id := req.ID
	if id == "" {
		id = slug(req.Name) // empty for a name without letters: the store generates one
	} else if !idPattern.MatchString(id) {
		return badRequest("field \"id\" must be letters, digits, _ . - (at most 100), got %q", id)
	}
	f := app.CallFlow{ID: id, Name: req.Name, Company: req.Company, PhoneNumber: req.PhoneNumber,
		Tags: req.Tags, Steps: req.Steps}
	ctx := c.Request.Context()
	if err := s.store.CreateFlow(ctx, &f); err != nil {
		return err // ErrConflict when the id is taken
	}
	saved, err := s.store.GetFlow(ctx, f.ID)
	if err != nil {
		return fmt.Errorf("reload call flow %s: %w", f.ID, err)
	}
	c.JSON(http.StatusCreated, toFlowView(saved))
	return nil
}

func (s *server) updateFlow(c *gin.Context) error {
	id := c.Param("flow_id")
	var req flowRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.ID != "" && req.ID != id {
		return badRequest("field \"id\" (%s) does not match the flow in the path (%s)", req.ID, id)
	}
	if err := validateFlow(&req); err != nil {
		return err
	}
	ctx := c.Request.Context()
	f, err := s.store.GetFlow(ctx, id)
	if err != nil {
		return err
	}
	f.Name, f.Company, f.PhoneNumber, f.Tags, f.Steps = req.Name, req.Company, req.PhoneNumber, req.Tags, req.Steps
	f.Stale = false
	if err := s.store.UpdateFlow(ctx, &f); err != nil {
		return fmt.Errorf("update call flow %s: %w", id, err)
	}
	saved, err := s.store.GetFlow(ctx, id)
	if err != nil {
		return fmt.Errorf("reload call flow %s: %w", id, err)
	}
	c.JSON(http.StatusOK, toFlowView(saved))
	return nil
}

func (s *server) deleteFlow(c *gin.Context) error {
	if err := s.store.DeleteFlow(c.Request.Context(), c.Param("flow_id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// slug turns "Chase Bank — Disputes" into "chase_bank_disputes".
func slug(name string) string {
	var b strings.Builder
	sep := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			if sep && b.Len() > 0 {
				b.WriteByte('_')
			}
			sep = false
			b.WriteRune(r)
		default:
			sep = true
		}
		if b.Len() >= 80 {
			break
		}
	}
	return b.String()
}
