package e2e

import (
	"math"
	"net/http"
	"testing"
)

// TestAnalyticsFromRealCalls: analytics over a database filled by real simulated calls, not
// generated rows. One hold_slayer call reaches the agent and is transferred; one call to a
// number that rings out never reaches anyone. The summary must agree with the calls' own
// records: two calls, one reached a human, and the hold time of the answered one.
func TestAnalyticsFromRealCalls(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.client
	c.device(t, "Robert's desk phone", "PJSIP/"+phoneRobert, 10)
	flow := c.menuFlow(t, numShortHold)

	reached := c.json(t, http.MethodPost, "/api/calls/hold-slayer", map[string]any{
		"number": numShortHold, "call_flow_id": flow,
	}, http.StatusCreated)["call_id"].(string)
	c.waitStatus(t, reached, waitLong, "transferred")
	c.json(t, http.MethodPost, "/api/calls/"+reached+"/hangup", nil, http.StatusOK)
	done := c.waitStatus(t, reached, waitShort, "ended")

	// A second, short call the user gives up on before anyone answers it.
	gaveUp := c.json(t, http.MethodPost, "/api/calls/hold-slayer", map[string]any{
		"number": numLongHold,
	}, http.StatusCreated)["call_id"].(string)
	c.waitStatus(t, gaveUp, waitLong, "on_hold", "navigating", "connected")
	c.json(t, http.MethodPost, "/api/calls/"+gaveUp+"/hangup", nil, http.StatusOK)
	c.waitStatus(t, gaveUp, waitShort, "ended")

	sum := c.json(t, http.MethodGet, "/api/analytics/summary", nil, http.StatusOK)
	if sum["calls"] != 2.0 || sum["reached_human"] != 1.0 || sum["numbers"] != 2.0 {
		t.Fatalf("summary calls %v reached %v numbers %v, want 2, 1, 2: %v", sum["calls"], sum["reached_human"], sum["numbers"], sum)
	}
	if r, _ := sum["success_rate"].(float64); math.Abs(r-0.5) > 1e-9 {
		t.Errorf("success_rate %v, want 0.5", sum["success_rate"])
	}
	hold, _ := done["hold_time"].(float64)
	if hold <= 0 {
		t.Fatalf("the transferred call has no hold time: %v", done)
	}
	// For the transferred call's number alone, the figures are that call's own.
	one := c.json(t, http.MethodGet, "/api/analytics/summary?number=%2B"+numShortHold[1:], nil, http.StatusOK)
	if one["calls"] != 1.0 || one["reached_human"] != 1.0 {
		t.Fatalf("summary for %s: %v", numShortHold, one)
	}
	if med, ok := one["hold_median_seconds"].(float64); !ok || math.Abs(med-hold) > 1 {
		t.Errorf("hold_median_seconds %v for %s, want the call's hold_time %.1f s", one["hold_median_seconds"], numShortHold, hold)
	}
	sum = one
	if ttm, ok := sum["time_to_human_median_seconds"].(float64); !ok || ttm <= hold {
		t.Errorf("time_to_human_median_seconds %v, want more than the %.1f s on hold", sum["time_to_human_median_seconds"], hold)
	}
	if steps, _ := sum["avg_ivr_steps"].(float64); steps <= 0 {
		t.Errorf("avg_ivr_steps %v: the flow's steps were not counted", sum["avg_ivr_steps"])
	}
}
