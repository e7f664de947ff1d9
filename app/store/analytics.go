package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/holdslayer/holdslayer/app"
)

// Analytics read one narrow row per selected call: the database filters calls by index, and
// each row already carries its event facts (ivr_steps and human_at, kept by the schema v3
// triggers), so no event is read at query time. Go then groups the rows and takes medians and
// percentiles, which SQLite and PostgreSQL do not compute the same portable way. One pass
// serves every figure of a response.

// callFact is the per-call row analytics aggregate.
type callFact struct {
	company    string
	number     string
	started    float64 // Unix seconds, to the millisecond
	answered   bool
	hold       float64
	reached    bool // a transfer_complete or human_detected event, or status transferred
	ivrSteps   int64
	humanDelay sql.NullFloat64 // seconds from start to the first human_detected event
}

// analyticsSQL returns the scan query for the store's dialect; where narrows it further.
// Only finished calls count: a live call's hold time and outcome are not known yet.
// Times come back as Unix seconds: SQLite's julianday parses its stored text once per value
// (cheaper than strftime), PostgreSQL's EXTRACT reads its native timestamps.
func (s *Store) analyticsSQL(where string) string {
	epoch := "(julianday(%s) - 2440587.5) * 86400.0"
	if s.dialect.name == postgresDialect.name {
		epoch = "CAST(EXTRACT(EPOCH FROM %s) AS DOUBLE PRECISION)"
	}
	q := `SELECT c.company, c.number, ` + fmt.Sprintf(epoch, "c.started_at") + `,
		c.answered_at IS NOT NULL, c.hold_seconds, (c.transferred OR c.status = 'transferred'), c.ivr_steps, ` +
		fmt.Sprintf(epoch, "c.human_at") + ` FROM calls c WHERE c.ended_at IS NOT NULL`
	if where != "" {
		q += " AND " + where
	}
	return q
}

// toMillis rounds a Unix time read through julianday (precise to about 50 µs) to the
// millisecond, so a call at 14:00:00 is never counted in the 13:00 slot.
func toMillis(sec float64) float64 { return math.Round(sec*1000) / 1000 }

// scanFacts streams the facts of the calls q selects into fn.
func (s *Store) scanFacts(ctx context.Context, q app.AnalyticsQuery, fn func(f *callFact)) error {
	var conds []string
	var args []any
	if q.Company != "" {
		conds = append(conds, "lower(c.company) = lower(?)")
		args = append(args, q.Company)
	}
	if q.Number != "" {
		conds = append(conds, "c.number = ?")
		args = append(args, q.Number)
	}
	if q.From != nil {
		conds = append(conds, "c.started_at >= ?")
		args = append(args, normTime(*q.From))
	}
	if q.To != nil {
		conds = append(conds, "c.started_at <= ?")
		args = append(args, normTime(*q.To))
	}
	rows, err := s.r.WithContext(ctx).Raw(s.analyticsSQL(strings.Join(conds, " AND ")), args...).Rows()
	if err != nil {
		return dbErr("query call analytics", err)
	}
	defer rows.Close()
	var f callFact
	for rows.Next() {
		var transferred bool
		var human sql.NullFloat64
		if err := rows.Scan(&f.company, &f.number, &f.started, &f.answered, &f.hold, &transferred, &f.ivrSteps, &human); err != nil {
			return dbErr("read call analytics", err)
		}
		f.started = toMillis(f.started)
		f.humanDelay = sql.NullFloat64{Float64: toMillis(human.Float64) - f.started, Valid: human.Valid}
		f.reached = transferred || human.Valid
		fn(&f)
	}
	if err := rows.Err(); err != nil {
		return dbErr("read call analytics", err)
	}
	return nil
}

// statsAcc accumulates the figures of one group of calls.
type statsAcc struct {
	calls, reached, ivrSteps int64
	holds, delays            []float64
	holdSum                  float64
}

func (a *statsAcc) add(f *callFact) {
	a.calls++
	a.ivrSteps += f.ivrSteps
	if f.reached {
		a.reached++
	}
	if f.answered {
		a.holds = append(a.holds, f.hold)
		a.holdSum += f.hold
	}
	if f.humanDelay.Valid {
		a.delays = append(a.delays, f.humanDelay.Float64)
	}
}

func (a *statsAcc) stats() app.CallStats {
	st := app.CallStats{Calls: a.calls, Reached: a.reached, Answered: int64(len(a.holds))}
	if a.calls > 0 {
		st.SuccessRate = float64(a.reached) / float64(a.calls)
		st.AvgIVRSteps = float64(a.ivrSteps) / float64(a.calls)
	}
	if len(a.holds) > 0 {
		slices.Sort(a.holds)
		st.HoldMedian = ptrTo(quantile(a.holds, 0.5))
		st.HoldP90 = ptrTo(quantile(a.holds, 0.9))
		st.HoldMean = ptrTo(a.holdSum / float64(len(a.holds)))
	}
	if len(a.delays) > 0 {
		slices.Sort(a.delays)
		st.TimeToHumanMedian = ptrTo(quantile(a.delays, 0.5))
		st.TimeToHumanP90 = ptrTo(quantile(a.delays, 0.9))
	}
	return st
}

// quantile is the p-quantile of sorted values, interpolating linearly between the two
// closest ranks (the definition spreadsheets call PERCENTILE.INC).
func quantile(sorted []float64, p float64) float64 {
	n := len(sorted)
	h := p * float64(n-1)
	lo := int(h)
	if lo >= n-1 {
		return sorted[n-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}

func ptrTo(v float64) *float64 { return &v }

// slotsAcc accumulates calls by hour of day and day of week in one time zone.
type slotsAcc struct {
	loc     *time.Location
	hours   [24]statsAcc
	weekday [7]statsAcc
}

func newSlots(loc *time.Location) *slotsAcc {
	if loc == nil {
		loc = time.UTC
	}
	return &slotsAcc{loc: loc}
}

func (s *slotsAcc) add(f *callFact) {
	t := time.UnixMilli(int64(math.Round(f.started * 1000))).In(s.loc)
	s.hours[t.Hour()].add(f)
	s.weekday[t.Weekday()].add(f)
}

func slotList(accs []statsAcc) []app.TimeSlot {
	out := make([]app.TimeSlot, len(accs))
	for i := range accs {
		st := accs[i].stats()
		out[i] = app.TimeSlot{Slot: i, Calls: st.Calls, Answered: st.Answered, SuccessRate: st.SuccessRate,
			HoldMedian: st.HoldMedian, HoldMean: st.HoldMean}
	}
	return out
}

func (s *slotsAcc) byHour() []app.TimeSlot    { return slotList(s.hours[:]) }
func (s *slotsAcc) byWeekday() []app.TimeSlot { return slotList(s.weekday[:]) }

// companyAcc accumulates one company, case-insensitively, remembering how it is spelled.
type companyAcc struct {
	statsAcc
	spellings map[string]int64
	numbers   map[string]*statsAcc
}

func newCompanyAcc() *companyAcc {
	return &companyAcc{spellings: map[string]int64{}, numbers: map[string]*statsAcc{}}
}

func (c *companyAcc) add(f *callFact) {
	c.statsAcc.add(f)
	c.spellings[f.company]++
	n := c.numbers[f.number]
	if n == nil {
		n = &statsAcc{}
		c.numbers[f.number] = n
	}
	n.add(f)
}

// name is the most frequent spelling; ties go to the alphabetically first.
func (c *companyAcc) name() string {
	best, bestN := "", int64(-1)
	for s, n := range c.spellings {
		if n > bestN || (n == bestN && s < best) {
			best, bestN = s, n
		}
	}
	return best
}

func (c *companyAcc) result(detail bool) app.CompanyStats {
	cs := app.CompanyStats{Company: c.name(), CallStats: c.stats(), Numbers: make([]string, 0, len(c.numbers))}
	for n := range c.numbers {
		cs.Numbers = append(cs.Numbers, n)
	}
	slices.Sort(cs.Numbers)
	if detail {
		cs.PerNumber = make([]app.NumberStats, 0, len(c.numbers))
		for _, n := range cs.Numbers {
			cs.PerNumber = append(cs.PerNumber, app.NumberStats{Number: n, CallStats: c.numbers[n].stats()})
		}
		slices.SortStableFunc(cs.PerNumber, func(a, b app.NumberStats) int { return cmp.Compare(b.Calls, a.Calls) })
	}
	return cs
}

// AnalyticsSummary describes every call q selects, with the best times to call.
func (s *Store) AnalyticsSummary(ctx context.Context, q app.AnalyticsQuery) (app.Summary, error) {
	var all statsAcc
	slots := newSlots(q.Location)
	spellings := map[string]struct{}{} // lowered after the scan: one ToLower per spelling
	numbers := map[string]struct{}{}
	err := s.scanFacts(ctx, q, func(f *callFact) {
		all.add(f)
		slots.add(f)
		if f.company != "" {
			spellings[f.company] = struct{}{}
		}
		numbers[f.number] = struct{}{}
	})
	if err != nil {
		return app.Summary{}, fmt.Errorf("analytics summary: %w", err)
	}
	companies := map[string]struct{}{}
	for sp := range spellings {
		companies[strings.ToLower(sp)] = struct{}{}
	}
	return app.Summary{
		CallStats: all.stats(), Companies: len(companies), Numbers: len(numbers),
		ByHour: slots.byHour(), ByWeekday: slots.byWeekday(),
	}, nil
}

// AnalyticsCompanies lists the figures of each company q selects, busiest first. Calls
// without a company are left out (the summary still counts them). The per-company hour and
// weekday slots and per-number breakdown are left empty: AnalyticsCompany has them.
func (s *Store) AnalyticsCompanies(ctx context.Context, q app.AnalyticsQuery) ([]app.CompanyStats, error) {
	accs := map[string]*companyAcc{}
	lowered := map[string]string{} // spelling -> key, so each spelling is lowered once
	err := s.scanFacts(ctx, q, func(f *callFact) {
		if f.company == "" {
			return
		}
		key, ok := lowered[f.company]
		if !ok {
			key = strings.ToLower(f.company)
			lowered[f.company] = key
		}
		a := accs[key]
		if a == nil {
			a = newCompanyAcc()
			accs[key] = a
		}
		a.add(f)
	})
	if err != nil {
		return nil, fmt.Errorf("analytics by company: %w", err)
	}
	out := make([]app.CompanyStats, 0, len(accs))
	for _, a := range accs {
		out = append(out, a.result(false))
	}
	slices.SortFunc(out, func(a, b app.CompanyStats) int {
		if a.Calls != b.Calls {
			return cmp.Compare(b.Calls, a.Calls)
		}
		return strings.Compare(strings.ToLower(a.Company), strings.ToLower(b.Company))
	})
	return out, nil
}

// AnalyticsCompany describes one company (matched case-insensitively) within q, with its
// hour and weekday slots and a per-number breakdown. A company with no selected call is
// app.ErrNotFound.
func (s *Store) AnalyticsCompany(ctx context.Context, company string, q app.AnalyticsQuery) (app.CompanyStats, error) {
	if strings.TrimSpace(company) == "" {
		return app.CompanyStats{}, fmt.Errorf("analytics of a company: empty company name: %w", app.ErrInvalid)
	}
	q.Company = company
	acc := newCompanyAcc()
	slots := newSlots(q.Location)
	err := s.scanFacts(ctx, q, func(f *callFact) {
		acc.add(f)
		slots.add(f)
	})
	if err != nil {
		return app.CompanyStats{}, fmt.Errorf("analytics of company %s: %w", company, err)
	}
	if acc.calls == 0 {
		return app.CompanyStats{}, fmt.Errorf("no calls to company %s: %w", company, app.ErrNotFound)
	}
	cs := acc.result(true)
	cs.ByHour, cs.ByWeekday = slots.byHour(), slots.byWeekday()
	return cs, nil
}
