package e2e

import (
	"net/http"
	"testing"
	"time"
)

// TestAsteriskRestartDuringHold: Asterisk restarts (`core restart now`) while the call is on
// hold. Its channels are gone when it is back, so the call ends with asterisk_restart; /readyz
// follows the connection (503 while Asterisk is down, 200 once the adapter reconnected), and a
// new call can be placed afterwards.
func TestAsteriskRestartDuringHold(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.client
	c.device(t, "Robert", "PJSIP/"+phoneRobert, 10)
	flow := c.menuFlow(t, numLongHold)
	ws := c.events(t, "")
	id := c.json(t, http.MethodPost, "/api/calls/hold-slayer", map[string]any{"number": numLongHold, "call_flow_id": flow},
		http.StatusCreated)["call_id"].(string)
	ws.wait(t, id, "hold_detected", waitLong)

	e.sim.Restart(10 * time.Second) // refused for 10 s, then "not booted" for 10 s (clock time)
	c.waitReadyz(t, http.StatusServiceUnavailable, waitShort)
	ended := ws.wait(t, id, "call_ended", waitLong)
	if ended.Data["reason"] != "asterisk_restart" {
		t.Errorf("call_ended data %v, want reason asterisk_restart", ended.Data)
	}
	c.waitReadyz(t, http.StatusOK, waitLong)
	got := c.call(t, id)
	if got["status"] != "ended" || got["end_reason"] != "asterisk_restart" {
		t.Errorf("stored call: %v", got)
	}
	if ch, br := e.sim.Live(); ch != 0 || br != 0 {
		t.Errorf("after the restart: %d channels, %d bridges", ch, br)
	}
	// The service works again: a new call reaches the company.
	next := c.json(t, http.MethodPost, "/api/calls/hold-slayer", map[string]any{"number": numLongHold, "call_flow_id": flow},
		http.StatusCreated)["call_id"].(string)
	ws.wait(t, next, "call_connected", waitShort)
	c.json(t, http.MethodPost, "/api/calls/"+next+"/hangup", nil, http.StatusOK)
}

// TestServiceRestartDuringCall: the service is stopped (SIGTERM path) while a call is on hold
// and started again on the same database. The call was ended with reason shutdown, its
// Asterisk resources released, and its stored events say so; the new process serves new calls.
func TestServiceRestartDuringCall(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.client
	c.device(t, "Robert", "PJSIP/"+phoneRobert, 10)
	flow := c.menuFlow(t, numLongHold)
	ws := c.events(t, "")
	id := c.json(t, http.MethodPost, "/api/calls/hold-slayer", map[string]any{"number": numLongHold, "call_flow_id": flow},
		http.StatusCreated)["call_id"].(string)
	ws.wait(t, id, "hold_detected", waitLong)

	e.stop()
	if ch, br := e.sim.Live(); ch != 0 || br != 0 {
		t.Errorf("after the service stopped: %d channels, %d bridges left in Asterisk", ch, br)
	}
	e.start()
	c = e.client
	got := c.call(t, id)
	if got["status"] != "ended" || got["end_reason"] != "shutdown" {
		t.Errorf("call after the restart: %v, want ended/shutdown", got)
	}
	hist := c.json(t, http.MethodGet, "/api/calls/"+id+"/events", nil, http.StatusOK)
	evs, _ := hist["events"].([]any)
	var last map[string]any
	var seen []string
	for _, raw := range evs {
		ev := raw.(map[string]any)
		seen = append(seen, ev["type"].(string))
		if ev["type"] == "call_ended" {
			last = ev
		}
	}
	if last == nil || last["data"].(map[string]any)["reason"] != "shutdown" {
		t.Errorf("stored events %v: want call_ended with reason shutdown", seen)
	}
	// And the restarted service takes calls.
	ws = c.events(t, "")
	next := c.json(t, http.MethodPost, "/api/calls/hold-slayer", map[string]any{"number": numLongHold, "call_flow_id": flow},
		http.StatusCreated)["call_id"].(string)
	ws.wait(t, next, "call_connected", waitShort)
	c.json(t, http.MethodPost, "/api/calls/"+next+"/hangup", nil, http.StatusOK)
}

// TestShutdownDuringCallSetup: the service stops just as the company answers, while the call
// is still setting up its listening (snoop, bridge, externalMedia). The call should be stored as
// ended/shutdown like any call live at shutdown, not as a failure of the listening set-up
// (failed/listen_failed or failed/pbx_error when the set-up's PBX request was cut by the cancel).
func TestShutdownDuringCallSetup(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.client
	flow := c.menuFlow(t, numLongHold)
	ws := c.events(t, "types=call_connected")
	id := c.json(t, http.MethodPost, "/api/calls/hold-slayer", map[string]any{"number": numLongHold, "call_flow_id": flow},
		http.StatusCreated)["call_id"].(string)
	ws.wait(t, id, "call_connected", waitShort)
	e.stop()
	e.start()
	got := e.client.call(t, id)
	if got["status"] != "ended" || got["end_reason"] != "shutdown" {
		t.Errorf("call stopped during set-up: %v, want ended/shutdown", got)
	}
}
