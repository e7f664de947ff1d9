package app

import "time"

// AnalyticsQuery selects the stored calls that analytics describe. Empty fields match
// everything; From and To bound a call's start time inclusively.
type AnalyticsQuery struct {
	From    *time.Time
	To      *time.Time
	Company string // compared case-insensitively, like CallFilter.Company
	Number  string
	// Location is the time zone of the hour-of-day and day-of-week buckets, so "the best time
	// to call" reads in the user's local time; nil means UTC.
	Location *time.Location
}

// CallStats are the outcome figures of a set of calls.
//
// Only finished calls (with an end time) count. A call reached a human when it has a
// human_detected or transfer_complete event, or its status is transferred. Hold figures
// cover answered calls (a call that never connected has no hold to speak of);
// time to a human is from the call's start to its first human_detected event. Percentiles
// interpolate linearly between the closest ranks, so the median of an even count is the mean
// of the two middle values. A figure with no calls to describe is null.
type CallStats struct {
	Calls   int64 `json:"calls"`
	Reached int64 `json:"reached_human"`
	// SuccessRate is Reached / Calls, 0 when there are no calls.
	SuccessRate float64 `json:"success_rate"`
	// Answered counts the calls the hold figures describe.
	Answered          int64    `json:"answered"`
	HoldMedian        *float64 `json:"hold_median_seconds"`
	HoldP90           *float64 `json:"hold_p90_seconds"`
	HoldMean          *float64 `json:"hold_mean_seconds"`
	TimeToHumanMedian *float64 `json:"time_to_human_median_seconds"`
	TimeToHumanP90    *float64 `json:"time_to_human_p90_seconds"`
	// AvgIVRSteps is the mean number of ivr_step events per call.
	AvgIVRSteps float64 `json:"avg_ivr_steps"`
}

// TimeSlot is one hour of the day (0-23) or day of the week (0 = Sunday .. 6) in the query's
// time zone, with the figures of the calls started in it: the data of "when to call".
type TimeSlot struct {
	Slot        int      `json:"slot"`
	Calls       int64    `json:"calls"`
	Answered    int64    `json:"answered"`
	SuccessRate float64  `json:"success_rate"`
	HoldMedian  *float64 `json:"hold_median_seconds"`
	HoldMean    *float64 `json:"hold_mean_seconds"`
}

// Summary describes every call the query selects: the dashboard's overview.
type Summary struct {
	CallStats
	Companies int `json:"companies"` // distinct non-empty companies, case-insensitively
	Numbers   int `json:"numbers"`   // distinct numbers dialled
	// ByHour has 24 slots and ByWeekday 7, every slot present even when empty.
	ByHour    []TimeSlot `json:"by_hour"`
	ByWeekday []TimeSlot `json:"by_weekday"`
}

// NumberStats are the figures of one dialled number.
type NumberStats struct {
	Number string `json:"number"`
	CallStats
}

// CompanyStats are the figures of one company: which ones keep people waiting.
type CompanyStats struct {
	// Company is the spelling most of its calls carry; calls match it case-insensitively.
	Company string   `json:"company"`
	Numbers []string `json:"numbers"` // sorted
	CallStats
	// ByHour, ByWeekday and PerNumber are filled for a single company's detail only.
	ByHour    []TimeSlot `json:"by_hour,omitempty"`
	ByWeekday []TimeSlot `json:"by_weekday,omitempty"`
	// PerNumber breaks the figures down by dialled number, busiest first.
	PerNumber []NumberStats `json:"per_number,omitempty"`
}
