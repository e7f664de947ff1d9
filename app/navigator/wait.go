package navigator

import (
	"strings"
	"time"
)

// DefaultPerCaller is the assumed handling time per caller ahead when an announcement gives
// a queue position instead of a time.
const DefaultPerCaller = 3 * time.Minute

// WaitEstimate is what an announcement said about the wait.
type WaitEstimate struct {
	Wait     time.Duration
	Position int    // callers ahead or queue position, when that is what was said
	Source   string // "time" or "position"
	Phrase   string // the words it came from
}

// EventData is the data of a wait_estimated event.
func (w WaitEstimate) EventData() map[string]any {
	d := map[string]any{"estimated_wait_seconds": w.Wait.Seconds(), "source": w.Source, "phrase": w.Phrase}
	if w.Position > 0 {
		d["position"] = w.Position
	}
	return d
}

var timeUnits = map[string]time.Duration{
	"second": time.Second, "seconds": time.Second, "minute": time.Minute, "minutes": time.Minute,
	"min": time.Minute, "mins": time.Minute, "hour": time.Hour, "hours": time.Hour,
}

// ParseWaitEstimate reads an estimate from an announcement: "your estimated wait time is 12
// minutes", "approximately five minutes", "between 10 and 15 minutes" (the upper bound),
// "less than a minute", "you are caller number 5", "there are 3 callers ahead of you",
// "you are the fifth caller". A queue position becomes position x perCaller (0 means
// DefaultPerCaller). ok is false when the text says nothing about the wait.
func ParseWaitEstimate(text string, perCaller time.Duration) (WaitEstimate, bool) {
	if perCaller <= 0 {
		perCaller = DefaultPerCaller
	}
	toks := words(text)
	// Durations: a number followed by a unit ("12 minutes", "an hour", "twenty five minutes").
	for i := 0; i < len(toks); i++ {
		n, used, ok := parseNumber(toks, i)
		if !ok {
			continue
		}
		j := i + used
		if j < len(toks) && (toks[j] == "more" || toks[j] == "additional") {
			j++
		}
		unit, isUnit := time.Duration(0), false
		if j < len(toks) {
			unit, isUnit = timeUnits[toks[j]]
		}
		// "10 to 15 minutes", "10 or 15 minutes", "between 10 and 15 minutes": take the upper.
		if !isUnit && j+1 < len(toks) && (toks[j] == "to" || toks[j] == "or" || toks[j] == "and") {
			if n2, u2, ok := parseNumber(toks, j+1); ok && j+1+u2 < len(toks) {
				if u, ok := timeUnits[toks[j+1+u2]]; ok {
					n, unit, isUnit, j = n2, u, true, j+1+u2
				}
			}
		}
		if !isUnit || !mentionsWait(toks, i) {
			continue
		}
		if (toks[i] == "a" || toks[i] == "an") && i > 0 && toks[i-1] == "than" && i > 1 && toks[i-2] == "less" {
			n = 1
		}
		return WaitEstimate{Wait: time.Duration(n) * unit, Source: "time", Phrase: strings.Join(toks[max(0, i-4):min(len(toks), j+1)], " ")}, true
	}
	// Queue position.
	for i := 0; i < len(toks); i++ {
		pos, end := 0, 0
		switch {
		case toks[i] == "caller" && i+1 < len(toks) && toks[i+1] == "number":
			if n, u, ok := parseNumber(toks, i+2); ok {
				pos, end = n, i+2+u
			}
		case (toks[i] == "caller" || toks[i] == "in") && i > 0:
			// "you are the fifth caller", "fifth in line", "5th in queue"
			if _, ok := ordinals[toks[i-1]]; ok || strings.HasSuffix(toks[i-1], "th") || strings.HasSuffix(toks[i-1], "rd") || strings.HasSuffix(toks[i-1], "nd") || strings.HasSuffix(toks[i-1], "st") {
				if n, _, ok := parseNumber(toks, i-1); ok && (toks[i] == "caller" || (i+1 < len(toks) && (toks[i+1] == "line" || toks[i+1] == "queue"))) {
					pos, end = n, i+1
				}
			}
		case toks[i] == "ahead" && i >= 2:
			// "3 callers ahead of you", "five people ahead of you"
			for k := i - 1; k >= max(0, i-3); k-- {
				if n, _, ok := parseNumber(toks, k); ok && toks[k] != "a" && toks[k] != "an" {
					pos, end = n, i+1
					break
				}
			}
		}
		if pos > 0 {
			return WaitEstimate{Wait: time.Duration(pos) * perCaller, Position: pos, Source: "position",
				Phrase: strings.Join(toks[max(0, i-3):min(len(toks), end+1)], " ")}, true
		}
	}
	return WaitEstimate{}, false
}

// mentionsWait checks the words before a duration speak of waiting, so "open for 24 hours"
// or "calls may be recorded for 30 days" do not count.
func mentionsWait(toks []string, i int) bool {
	for k := max(0, i-8); k < i; k++ {
		switch toks[k] {
		case "wait", "waiting", "hold", "approximately", "about", "estimated", "around", "within", "roughly", "expected", "answered", "shortly", "than", "between":
			return true
		}
	}
	return false
}
