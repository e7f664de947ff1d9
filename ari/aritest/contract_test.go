package aritest

import (
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Field sets and event orders below are copied from shared/ari-traces (Asterisk 22.10.1).
var (
	traceChannelFields = []string{"accountcode", "caller", "connected", "creationtime", "dialplan", "id", "language", "name", "protocol_id", "state"}
	traceBridgeFields  = []string{"bridge_class", "bridge_type", "channels", "creationtime", "creator", "id", "name", "technology", "video_mode"}
	traceAppFields     = []string{"bridge_ids", "channel_ids", "device_names", "endpoint_ids", "events_allowed", "events_disallowed", "name"}
	traceEventFields   = []string{"application", "asterisk_id", "timestamp", "type"}
	// a-originate-bridge: events for the Stasis half, originate to StasisStart
	traceOriginateOrder = []string{"Dial", "ChannelStateChange", "Dial", "ChannelVarset", "StasisStart"}
	// a-originate-bridge: our DELETE of a bridged Local;1
	traceHangupOrder = []string{"ChannelHangupRequest", "ChannelLeftBridge", "StasisEnd", "ChannelVarset", "ChannelDestroyed"}
	// e2-remote-hangup: the far end hangs up a bridged Local;1
	traceRemoteHangupOrder = []string{"ChannelHangupRequest", "ChannelLeftBridge", "StasisEnd", "ChannelVarset", "ChannelDestroyed"}
)

// companyIVR is a stand-in for the traces' company-ivr dialplan (answer, wait 1 s, a menu).
func companyIVR() *Scenario {
	return &Scenario{Name: "company-ivr", Steps: []Step{
		{Pause: Duration(time.Second)},
		{ID: "menu", Menu: &Menu{Prompt: []Audio{{Sound: "demo-thanks"}}, Options: map[string]string{"3": "hold"}, Timeout: Duration(10 * time.Second)}},
		{ID: "hold", Hold: &Hold{Duration: Duration(7 * time.Second)}},
		{ID: "agent", Agent: &Agent{Greeting: "Hi, this is Sarah in customer support, how can I help you today?"}},
	}}
}

func contractOpts() Options {
	return Options{Scenarios: map[string]*Scenario{"company-ivr": companyIVR()}}
}

func assertFields(t *testing.T, what string, m map[string]any, want []string) {
	t.Helper()
	if got := keys(m); !reflect.DeepEqual(got, want) {
		t.Errorf("%s fields = %v, want %v", what, got, want)
	}
}

func assertOrder(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s order = %v, want %v", what, got, want)
	}
}

func TestContractOriginateBridgeHangup(t *testing.T) {
	tg := contractTarget(t, contractOpts())
	ev := tg.ws(t, "holdslayer")

	r := tg.do(t, "GET", "/applications/holdslayer", nil, "")
	if r.status != 200 {
		t.Fatalf("GET application = %d", r.status)
	}
	assertFields(t, "application", r.obj(t), traceAppFields)

	id := fmt.Sprintf("company-t-%d", time.Now().UnixNano()%100000)
	r = tg.do(t, "POST", "/channels", qv("endpoint", "Local/s@company-ivr", "app", "holdslayer", "appArgs", "company,a", "channelId", id, "otherChannelId", id+"-L2"), "")
	if r.status != 200 {
		t.Fatalf("originate = %d %s", r.status, r.body)
	}
	ch := r.obj(t)
	assertFields(t, "originate response", ch, traceChannelFields)
	if ch["state"] != "Down" || ch["id"] != id {
		t.Errorf("originate response state/id = %v/%v", ch["state"], ch["id"])
	}
	if dp := ch["dialplan"].(map[string]any); dp["app_name"] != "AppDial2" || dp["app_data"] != "(Outgoing Line)" {
		t.Errorf("dialplan = %v", dp)
	}
	start := ev.waitFor(t, 5*time.Second, "StasisStart", isEv("StasisStart", id))
	if args := start["args"].([]any); len(args) != 2 || args[0] != "company" || args[1] != "a" {
		t.Errorf("StasisStart args = %v", args)
	}
	if _, err := time.Parse(tsLayout, start["timestamp"].(string)); err != nil {
		t.Errorf("timestamp %q: %v", start["timestamp"], err)
	}
	for _, k := range traceEventFields {
		if _, ok := start[k]; !ok {
			t.Errorf("event lacks %q", k)
		}
	}
	assertOrder(t, "originate events", ev.forChan(id), traceOriginateOrder)
	// the dialplan half runs Answer() (ChannelDialplan) right before it goes Up (traces a, d, e)
	var l2 []map[string]any
	ev.mu.Lock()
	for _, m := range ev.got {
		if evChan(m) == id+"-L2" {
			l2 = append(l2, m)
		}
	}
	ev.mu.Unlock()
	for i, m := range l2 {
		if m["type"] == "ChannelStateChange" {
			if i == 0 || l2[i-1]["type"] != "ChannelDialplan" || l2[i-1]["dialplan_app"] != "Answer" {
				t.Errorf("Local;2 events = %v, want ChannelDialplan Answer before ChannelStateChange", ev.forChan(id+"-L2"))
			}
			break
		}
	}

	if r = tg.do(t, "POST", "/channels/"+id+"/answer", nil, ""); r.status != 204 {
		t.Errorf("answer = %d", r.status)
	}
	r = tg.do(t, "POST", "/bridges", qv("type", "mixing", "name", "main-t"), "")
	if r.status != 200 {
		t.Fatalf("bridge create = %d", r.status)
	}
	br := r.obj(t)
	assertFields(t, "bridge", br, traceBridgeFields)
	bid := br["id"].(string)
	if r = tg.do(t, "POST", "/bridges/"+bid+"/addChannel", qv("channel", id), ""); r.status != 204 {
		t.Fatalf("addChannel = %d", r.status)
	}
	entered := ev.waitFor(t, 5*time.Second, "ChannelEnteredBridge", isEv("ChannelEnteredBridge", id))
	if chans := entered["bridge"].(map[string]any)["channels"].([]any); len(chans) != 1 || chans[0] != id {
		t.Errorf("entered bridge channels = %v", chans)
	}
	r = tg.do(t, "GET", "/channels/"+id+"/variable", qv("variable", "CHANNEL(name)"), "")
	if r.status != 200 || !strings.HasPrefix(r.obj(t)["value"].(string), "Local/s@company-ivr-") {
		t.Errorf("CHANNEL(name) = %d %s", r.status, r.body)
	}

	before := len(ev.forChan(id))
	if r = tg.do(t, "DELETE", "/channels/"+id, nil, ""); r.status != 204 {
		t.Fatalf("hangup = %d", r.status)
	}
	ev.waitFor(t, 5*time.Second, "ChannelDestroyed", isEv("ChannelDestroyed", id))
	assertOrder(t, "hangup events", ev.forChan(id)[before:], traceHangupOrder)
	hr := ev.waitFor(t, time.Second, "hangup request", isEv("ChannelHangupRequest", id))
	if hr["soft"] != true {
		t.Errorf("our hangup request soft = %v", hr["soft"])
	}
	d := ev.waitFor(t, time.Second, "destroyed", isEv("ChannelDestroyed", id))
	if d["cause"] != float64(16) || d["cause_txt"] != "Normal Clearing" {
		t.Errorf("destroyed cause = %v %v", d["cause"], d["cause_txt"])
	}
	ev.waitFor(t, 5*time.Second, "Local;2 destroyed", isEv("ChannelDestroyed", id+"-L2"))
	if r = tg.do(t, "DELETE", "/bridges/"+bid, nil, ""); r.status != 204 {
		t.Errorf("bridge delete = %d", r.status)
	}
	ev.waitFor(t, 5*time.Second, "BridgeDestroyed", isEv("BridgeDestroyed", ""))
	if r = tg.do(t, "GET", "/channels", nil, ""); r.status != 200 || len(r.list(t)) != 0 {
		t.Errorf("channels after = %s", r.body)
	}
	if tg.sim != nil {
		if c, b := tg.sim.Live(); c != 0 || b != 0 {
			t.Errorf("leak: %d channels %d bridges", c, b)
		}
	}
}

func TestContractRemoteHangup(t *testing.T) {
	tg := contractTarget(t, contractOpts())
	ev := tg.ws(t, "holdslayer")
	id := fmt.Sprintf("company-r-%d", time.Now().UnixNano()%100000)
	tg.do(t, "POST", "/channels", qv("endpoint", "Local/s@company-ivr", "app", "holdslayer", "appArgs", "company", "channelId", id, "otherChannelId", id+"-L2"), "")
	ev.waitFor(t, 5*time.Second, "StasisStart", isEv("StasisStart", id))
	bid := tg.do(t, "POST", "/bridges", qv("type", "mixing"), "").obj(t)["id"].(string)
	tg.do(t, "POST", "/bridges/"+bid+"/addChannel", qv("channel", id), "")
	ev.waitFor(t, 5*time.Second, "entered", isEv("ChannelEnteredBridge", id))
	before := len(ev.forChan(id))
	// DELETE of the ;2 half is the company hanging up (as the trace does)
	if r := tg.do(t, "DELETE", "/channels/"+id+"-L2", nil, ""); r.status != 204 {
		t.Fatalf("delete ;2 = %d", r.status)
	}
	ev.waitFor(t, 5*time.Second, "destroyed", isEv("ChannelDestroyed", id))
	assertOrder(t, "remote hangup", ev.forChan(id)[before:], traceRemoteHangupOrder)
	hr := ev.waitFor(t, time.Second, "hr", isEv("ChannelHangupRequest", id))
	if _, soft := hr["soft"]; soft || hr["cause"] != float64(16) {
		t.Errorf("far-end hangup request = %v", hr)
	}
	tg.do(t, "DELETE", "/bridges/"+bid, nil, "")
}

func TestContractErrors(t *testing.T) {
	tg := contractTarget(t, contractOpts())
	ev := tg.ws(t, "holdslayer")
	id := fmt.Sprintf("nsl-%d", time.Now().UnixNano()%100000)
	tg.do(t, "POST", "/channels", qv("endpoint", "Local/s@company-ivr", "app", "holdslayer", "channelId", id, "otherChannelId", id+"-L2"), "")
	ev.waitFor(t, 5*time.Second, "StasisStart", isEv("StasisStart", id))
	bid := tg.do(t, "POST", "/bridges", qv("type", "mixing", "name", "g-bridge"), "").obj(t)["id"].(string)
	cases := []struct {
		method, path string
		q            []string
		body         string
		status       int
		msg          string
	}{
		{"GET", "/channels/nope-1", nil, "", 404, "Channel not found"},
		{"DELETE", "/channels/nope-1", nil, "", 404, "Channel not found"},
		{"POST", "/channels/nope-1/dtmf", []string{"dtmf", "3"}, "", 404, "Channel not found"},
		{"POST", "/channels/nope-1/snoop", []string{"app", "holdslayer", "spy", "in"}, "", 404, "Provided channel was not found"},
		{"POST", "/channels/" + id + "-L2/dtmf", []string{"dtmf", "3"}, "", 409, "Channel not in Stasis application"},
		{"POST", "/channels/" + id + "-L2/answer", nil, "", 409, "Channel not in Stasis application"},
		{"POST", "/channels/" + id + "/dtmf", []string{"dtmf", "Z"}, "", 204, ""},
		{"POST", "/channels/" + id + "/dtmf", nil, "", 400, "DTMF is required"},
		{"POST", "/channels", []string{"app", "holdslayer"}, "", 400, "Endpoint must be specified"},
		{"POST", "/channels", []string{"endpoint", "Local/s@company-ivr"}, "", 400, "Application or extension must be specified"},
		{"POST", "/channels", []string{"endpoint", "Bogus/xyz", "app", "holdslayer"}, "", 500, ""},
		{"POST", "/channels", []string{"endpoint", "PJSIP/1000", "app", "holdslayer"}, "", 500, ""},
		{"POST", "/channels", []string{"endpoint", "Local/s@user-phone", "app", "holdslayer"}, "{not json", 400, "Error parsing request body"},
		{"POST", "/bridges/no-such-bridge/addChannel", []string{"channel", id}, "", 404, "Bridge not found"},
		{"POST", "/bridges/" + bid + "/addChannel", []string{"channel", "no-such-channel"}, "", 400, "Channel not found"},
		{"POST", "/bridges/" + bid + "/addChannel", []string{"channel", id + "-L2"}, "", 422, "Channel not in Stasis application"},
		{"POST", "/bridges", []string{"type", "nonsense"}, "", 500, "Unable to create bridge. Possible duplicate bridge id '(null)'"},
		{"POST", "/bridges/" + bid + "/removeChannel", []string{"channel", id}, "", 422, "Channel not in this bridge"},
		{"POST", "/channels/externalMedia", []string{"app", "holdslayer", "format", "slin16"}, "", 400, "external_host is required for all but websocket server connections"},
		{"POST", "/channels/externalMedia", []string{"app", "holdslayer", "external_host", "127.0.0.1:40010"}, "", 400, "format cannot be empty"},
		{"POST", "/channels/externalMedia", []string{"app", "holdslayer", "external_host", "127.0.0.1:40010", "format", "nosuchformat"}, "", 500, "An internal error prevented this request from being handled"},
		{"POST", "/channels/externalMedia", []string{"app", "holdslayer", "external_host", "not-a-host", "format", "ulaw"}, "", 400, "external_host must be <host>:<port> for all transports other than websocket"},
		{"GET", "/nonexistent", nil, "", 404, "Resource not found"},
		{"PUT", "/channels", nil, "", 405, "Invalid method"},
		{"GET", "/channels/" + id + "/variable", nil, "", 400, "Variable name is required"},
		{"GET", "/channels/" + id + "/variable", []string{"variable", "NOT_SET_VAR"}, "", 404, "Provided variable was not found"},
		{"GET", "/applications/nosuchapp", nil, "", 404, "Application not found"},
		{"GET", "/recordings/stored/does-not-exist/file", nil, "", 404, "Recording not found"},
	}
	for _, c := range cases {
		r := tg.do(t, c.method, c.path, qv(c.q...), c.body)
		if r.status != c.status {
			t.Errorf("%s %s %v = %d %s, want %d", c.method, c.path, c.q, r.status, r.body, c.status)
			continue
		}
		if c.msg != "" && r.obj(t)["message"] != c.msg {
			t.Errorf("%s %s message = %s, want %q", c.method, c.path, r.body, c.msg)
		}
	}
	// auth: 401 with the trace's body, api_key works
	bad := &target{base: tg.base, user: "holdslayer", pass: "bad"}
	if r := bad.do(t, "GET", "/asterisk/info", nil, ""); r.status != 401 || r.obj(t)["message"] != "Authentication required" {
		t.Errorf("bad credentials = %d %s", r.status, r.body)
	}
	noauth := &target{base: tg.base}
	if r := noauth.do(t, "GET", "/asterisk/info", qv("api_key", tg.user+":"+tg.pass), ""); r.status != 200 {
		t.Errorf("api_key = %d", r.status)
	} else if sys := r.obj(t)["system"].(map[string]any); sys["version"] == "" {
		t.Errorf("info system = %v", sys)
	}
	// variables: POST gives ChannelVarset then 204; reason=busy gives cause 17
	if r := tg.do(t, "POST", "/channels/"+id+"/variable", qv("variable", "FOO", "value", "bar"), ""); r.status != 204 {
		t.Errorf("set var = %d", r.status)
	}
	if r := tg.do(t, "GET", "/channels/"+id+"/variable", qv("variable", "FOO"), ""); r.status != 200 || r.obj(t)["value"] != "bar" {
		t.Errorf("get var = %d %s", r.status, r.body)
	}
	tg.do(t, "DELETE", "/channels/"+id, qv("reason", "busy"), "")
	d := ev.waitFor(t, 5*time.Second, "destroyed", isEv("ChannelDestroyed", id))
	if d["cause"] != float64(17) || d["cause_txt"] != "User busy" {
		t.Errorf("reason=busy destroyed = %v %v", d["cause"], d["cause_txt"])
	}
	tg.do(t, "DELETE", "/bridges/"+bid, nil, "")
	if r := tg.do(t, "DELETE", "/bridges/"+bid, nil, ""); r.status != 404 {
		t.Errorf("second bridge delete = %d", r.status)
	}
}

func TestContractApplicationReplaced(t *testing.T) {
	tg := contractTarget(t, contractOpts())
	ws1 := tg.ws(t, "holdslayer")
	ws2 := tg.ws(t, "holdslayer")
	ws1.waitFor(t, 5*time.Second, "ApplicationReplaced", isEv("ApplicationReplaced", ""))
	id := fmt.Sprintf("dual-%d", time.Now().UnixNano()%100000)
	tg.do(t, "POST", "/channels", qv("endpoint", "Local/s@company-ivr", "app", "holdslayer", "channelId", id), "")
	ws2.waitFor(t, 5*time.Second, "StasisStart on the new socket", isEv("StasisStart", id))
	time.Sleep(100 * time.Millisecond)
	if got := ws1.forChan(id); len(got) != 0 {
		t.Errorf("replaced socket still got %v", got)
	}
	tg.do(t, "DELETE", "/channels/"+id, nil, "")
	ws2.waitFor(t, 5*time.Second, "destroyed", isEv("ChannelDestroyed", id))
	_ = ws2.conn.Close()
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		if tg.do(t, "GET", "/applications/holdslayer", nil, "").status == 404 {
			return // closing the new socket unregisters the app though the old one is open
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("app still registered after closing the active socket")
}

func TestContractEventsSocketErrors(t *testing.T) {
	tg := contractTarget(t, contractOpts())
	// a WebSocket handshake without app: Asterisk answers 400 (a plain GET without the
	// Upgrade headers gets 426 Upgrade Required from a real Asterisk instead)
	u := strings.Replace(tg.base, "http", "ws", 1) + "/events?" + qv("api_key", tg.user+":"+tg.pass).Encode()
	conn, res, err := websocket.DefaultDialer.Dial(u, nil)
	if err == nil {
		_ = conn.Close()
		t.Fatal("events socket without app was accepted")
	}
	if res == nil {
		t.Fatalf("dial events without app: %v", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 400 || !strings.Contains(string(body), "missing param: [app]") {
		t.Errorf("events without app = %d %s", res.StatusCode, body)
	}
}

// TestContractOriginateVariables follows trace g: originate variables (CALLERID(name) in the
// body) show on the ;1 half's caller; the ;2 half gets ChannelVarset for the others, then
// ChannelConnectedLine naming the caller, before the call is answered.
func TestContractOriginateVariables(t *testing.T) {
	tg := contractTarget(t, contractOpts())
	ev := tg.ws(t, "holdslayer")
	id := fmt.Sprintf("vars-%d", time.Now().UnixNano()%100000)
	r := tg.do(t, "POST", "/channels", qv("endpoint", "Local/s@user-phone", "app", "holdslayer", "channelId", id),
		`{"variables":{"CALLERID(name)":"Holdslayer","MYVAR":"x"}}`)
	if r.status != 200 {
		t.Fatalf("originate = %d %s", r.status, r.body)
	}
	ch := r.obj(t)
	if ch["caller"].(map[string]any)["name"] != "Holdslayer" || ch["connected"].(map[string]any)["name"] != "" {
		t.Errorf("originate caller/connected = %v/%v", ch["caller"], ch["connected"])
	}
	ev.waitFor(t, 5*time.Second, "StasisStart", isEv("StasisStart", id))
	vs := ev.waitFor(t, time.Second, "MYVAR on ;2", isEv("ChannelVarset", id+";2"))
	if vs["variable"] != "MYVAR" || vs["value"] != "x" {
		t.Errorf("varset on ;2 = %v=%v", vs["variable"], vs["value"])
	}
	cl := ev.waitFor(t, time.Second, "ConnectedLine on ;2", isEv("ChannelConnectedLine", id+";2"))
	if cl["channel"].(map[string]any)["connected"].(map[string]any)["name"] != "Holdslayer" {
		t.Errorf("ChannelConnectedLine channel = %v", cl["channel"])
	}
	l2 := ev.forChan(id + ";2")
	iv, ic, iu := -1, -1, -1
	for i, typ := range l2 {
		switch {
		case typ == "ChannelVarset" && iv < 0:
			iv = i
		case typ == "ChannelConnectedLine" && ic < 0:
			ic = i
		case typ == "ChannelStateChange" && iu < 0:
			iu = i
		}
	}
	if !(iv < ic && ic < iu) {
		t.Errorf(";2 events = %v, want ChannelVarset, ChannelConnectedLine, then ChannelStateChange", l2)
	}
	if v := tg.do(t, "GET", "/channels/"+id+"/variable", qv("variable", "MYVAR"), ""); v.status != 200 || v.obj(t)["value"] != "x" {
		t.Errorf("MYVAR = %d %s", v.status, v.body)
	}
	tg.do(t, "DELETE", "/channels/"+id, nil, "")
	ev.waitFor(t, 5*time.Second, "destroyed", isEv("ChannelDestroyed", id))
}
