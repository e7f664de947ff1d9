package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/holdslayer/holdslayer/app"
)

// AnalyticsSource answers the analytics routes from stored calls and events; *store.Store
// implements it.
type AnalyticsSource interface {
	AnalyticsSummary(ctx context.Context, q app.AnalyticsQuery) (app.Summary, error)
	AnalyticsCompanies(ctx context.Context, q app.AnalyticsQuery) ([]app.CompanyStats, error)
	AnalyticsCompany(ctx context.Context, company string, q app.AnalyticsQuery) (app.CompanyStats, error)
}

// registerAnalytics adds GET /analytics/summary, /analytics/companies and
// /analytics/companies/{company} to g (the authenticated /api group).
func registerAnalytics(g *gin.RouterGroup, a AnalyticsSource) {
	h := analyticsHandlers{src: a}
	g.GET("/analytics/summary", handle(h.summary))
	g.GET("/analytics/companies", handle(h.companies))
	g.GET("/analytics/companies/:company", handle(h.company))
}

type analyticsHandlers struct{ src AnalyticsSource }

// analyticsRange echoes the selection a response describes, so a chart can label itself.
type analyticsRange struct {
	From     *time.Time `json:"from"`
	To       *time.Time `json:"to"`
	Number   string     `json:"number,omitempty"`
	Timezone string     `json:"timezone"`
}

type summaryResponse struct {
	Range analyticsRange `json:"range"`
	app.Summary
}

type companiesResponse struct {
	Range     analyticsRange     `json:"range"`
	Companies []app.CompanyStats `json:"companies"`
	Total     int                `json:"total"`
}

type companyResponse struct {
	Range analyticsRange `json:"range"`
	app.CompanyStats
}

// analyticsQuery reads from, to (RFC 3339, or YYYY-MM-DD in tz: from its first instant, to
// its last), number and tz (an IANA zone for the hour and weekday slots; default UTC).
func analyticsQuery(c *gin.Context) (app.AnalyticsQuery, analyticsRange, error) {
	var q app.AnalyticsQuery
	loc := time.UTC
	if tz := c.Query("tz"); tz != "" {
		l, err := time.LoadLocation(tz)
		if err != nil || strings.EqualFold(tz, "local") {
			return q, analyticsRange{}, badRequest("query parameter \"tz\" must be an IANA time zone such as Europe/Berlin, got %q", tz)
		}
		loc = l
	}
	var err error
	if q.From, err = analyticsTime(c, "from", loc, false); err != nil {
		return q, analyticsRange{}, err
	}
	if q.To, err = analyticsTime(c, "to", loc, true); err != nil {
		return q, analyticsRange{}, err
	}
	if q.From != nil && q.To != nil && q.To.Before(*q.From) {
		return q, analyticsRange{}, badRequest("query parameter \"to\" is before \"from\"")
	}
	q.Number = strings.TrimSpace(c.Query("number"))
	q.Location = loc
	r := analyticsRange{From: q.From, To: q.To, Number: q.Number, Timezone: loc.String()}
	return q, r, nil
}

func analyticsTime(c *gin.Context, name string, loc *time.Location, endOfDay bool) (*time.Time, error) {
	v := c.Query(name)
	if v == "" {
		return nil, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		t = t.UTC()
		return &t, nil
	}
	t, err := time.ParseInLocation(time.DateOnly, v, loc)
	if err != nil {
		return nil, badRequest("query parameter %q must be an RFC 3339 time or a YYYY-MM-DD date, got %q", name, v)
	}
	if endOfDay {
		t = t.AddDate(0, 0, 1).Add(-time.Microsecond)
	}
	t = t.UTC()
	return &t, nil
}

// summary is GET /api/analytics/summary: every selected call's figures and best times.
func (h analyticsHandlers) summary(c *gin.Context) error {
	q, r, err := analyticsQuery(c)
	if err != nil {
		return err
	}
	sum, err := h.src.AnalyticsSummary(c.Request.Context(), q)
	if err != nil {
		return fmt.Errorf("analytics summary: %w", err)
	}
	c.JSON(http.StatusOK, summaryResponse{Range: r, Summary: sum})
	return nil
}

// companies is GET /api/analytics/companies: each company's figures, busiest first.
func (h analyticsHandlers) companies(c *gin.Context) error {
	q, r, err := analyticsQuery(c)
	if err != nil {
		return err
	}
	cos, err := h.src.AnalyticsCompanies(c.Request.Context(), q)
	if err != nil {
		return fmt.Errorf("analytics by company: %w", err)
	}
	if cos == nil {
		cos = []app.CompanyStats{}
	}
	c.JSON(http.StatusOK, companiesResponse{Range: r, Companies: cos, Total: len(cos)})
	return nil
}

// company is GET /api/analytics/companies/{company}: one company with its per-number
// breakdown and hour/weekday slots; 404 when it has no call in the range.
func (h analyticsHandlers) company(c *gin.Context) error {
	name := strings.TrimSpace(c.Param("company"))
	if name == "" {
		return badRequest("company name is required")
	}
	q, r, err := analyticsQuery(c)
	if err != nil {
		return err
	}
	cs, err := h.src.AnalyticsCompany(c.Request.Context(), name, q)
	if err != nil {
		return fmt.Errorf("analytics of company: %w", err)
	}
	c.JSON(http.StatusOK, companyResponse{Range: r, CompanyStats: cs})
	return nil
}
