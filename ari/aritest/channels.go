package aritest

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/holdslayer/holdslayer/app/clock"
)

// farEnd is whatever answers a call: a scripted company or a simulated device. Its dial
// method runs in its own goroutine and reports through Server.farRinging/farAnswer/farFail.
type farEnd interface {
	dial(s *Server, c *channel)
	// read is the next 20 ms frame (160 samples, 8 kHz) the far end sends; nil sends nothing.
	read() []int16
	// hear is the frame the far end receives (nil: no frame).
	hear(f []int16)
	digit(d byte)
	stop()
}

func (s *Server) getInfo(w http.ResponseWriter, _ *req) {
	s.httpMu.Lock()
	started, reloaded := s.started, s.reloaded
	s.httpMu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"build":  map[string]any{"date": "2026-11-24 05:01:42 UTC", "kernel": "aritest", "machine": "x86_64", "options": "OPTIONAL_API", "os": "Linux", "user": "root"},
		"config": map[string]any{"default_language": "en", "name": "", "setid": map[string]string{"group": "", "user": ""}},
		"status": map[string]any{"last_reload_time": reloaded.Format(tsLayout), "startup_time": started.Format(tsLayout)},
		"system": map[string]any{"entity_id": asteriskID, "version": "22.10.1"},
	})
}

func (s *Server) appJSON(app string) map[string]any {
	chans, bridges := []string{}, []string{}
	for _, c := range s.sortedChannels() {
		if c.apps[app] {
			chans = append(chans, c.id)
		}
	}
	for _, b := range s.bridges {
		if b.apps[app] {
			bridges = append(bridges, b.id)
		}
	}
	return map[string]any{"bridge_ids": bridges, "channel_ids": chans, "device_names": []string{}, "endpoint_ids": []string{}, "events_allowed": []string{}, "events_disallowed": []string{}, "name": app}
}

func (s *Server) listApps(w http.ResponseWriter, _ *req) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	names := make([]string, 0, len(s.apps))
	for a := range s.apps {
		names = append(names, a)
	}
	sortStrings(names)
	for _, a := range names {
		out = append(out, s.appJSON(a))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getApp(w http.ResponseWriter, q *req) {
	s.mu.Lock()
	defer s.mu.Unlock()
	app := q.path["app"]
	if !s.appRegistered(app) {
		writeErr(w, http.StatusNotFound, "Application not found")
		return
	}
	writeJSON(w, http.StatusOK, s.appJSON(app))
}

func (s *Server) subscription(w http.ResponseWriter, q *req, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	app := q.path["app"]
	if !s.appRegistered(app) {
		writeErr(w, http.StatusNotFound, "Application not found")
		return
	}
	src := q.get("eventSource")
	if src == "" {
		writeErr(w, http.StatusBadRequest, "Missing parameter eventSource")
		return
	}
	for _, one := range strings.Split(src, ",") {
		kind, id, _ := strings.Cut(one, ":")
		switch kind {
		case "channel":
			c := s.channels[id]
			if c == nil {
				writeErr(w, http.StatusUnprocessableEntity, "Event source does not exist")
				return
			}
			if on {
				c.apps[app] = true
			} else {
				delete(c.apps, app)
			}
		case "bridge":
			b := s.bridges[id]
			if b == nil {
				writeErr(w, http.StatusUnprocessableEntity, "Event source does not exist")
				return
			}
			if on {
				b.apps[app] = true
			} else {
				delete(b.apps, app)
			}
		case "endpoint", "deviceState":
		default:
			writeErr(w, http.StatusBadRequest, "Invalid event source URI scheme")
			return
		}
	}
	writeJSON(w, http.StatusOK, s.appJSON(app))
}

func (s *Server) subscribe(w http.ResponseWriter, q *req)   { s.subscription(w, q, true) }
func (s *Server) unsubscribe(w http.ResponseWriter, q *req) { s.subscription(w, q, false) }

func (s *Server) listChannels(w http.ResponseWriter, _ *req) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for _, c := range s.sortedChannels() {
		out = append(out, c.json())
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getChannel(w http.ResponseWriter, q *req) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channelFor(w, q.path["id"])
	if c == nil {
		return
	}
	writeJSON(w, http.StatusOK, c.json())
}

// stasisChannel finds a channel for an operation that needs it in Stasis (404 / 409).
func (s *Server) stasisChannel(w http.ResponseWriter, id string) *channel {
	c := s.channelFor(w, id)
	if c == nil {
		return nil
	}
	if c.stasisApp == "" {
		writeErr(w, http.StatusConflict, "Channel not in Stasis application")
		return nil
	}
	return c
}

// channelFor finds a channel by id, or answers 404 as Asterisk does and returns nil.
func (s *Server) channelFor(w http.ResponseWriter, id string) *channel {
	c := s.channels[id]
	if c == nil {
		writeErr(w, http.StatusNotFound, "Channel not found")
	}
	return c
}

// bridgeFor finds a bridge by id, or answers 404 as Asterisk does and returns nil.
func (s *Server) bridgeFor(w http.ResponseWriter, id string) *bridge {
	b := s.bridges[id]
	if b == nil {
		writeErr(w, http.StatusNotFound, "Bridge not found")
	}
	return b
}

func (s *Server) originateWithID(w http.ResponseWriter, q *req) {
	q.q["channelId"] = q.path["id"]
	s.originate(w, q)
}

func parseCallerID(v string) party {
	v = strings.TrimSpace(v)
	if i := strings.Index(v, "<"); i >= 0 {
		name := strings.Trim(strings.TrimSpace(v[:i]), `"`)
		num := strings.TrimSuffix(v[i+1:], ">")
		return party{Name: name, Number: num}
	}
	return party{Number: v}
}

func (s *Server) originate(w http.ResponseWriter, q *req) {
	endpoint, app := q.get("endpoint"), q.get("app")
	if endpoint == "" {
		writeErr(w, http.StatusBadRequest, "Endpoint must be specified")
		return
	}
	if app == "" && q.get("extension") == "" {
		writeErr(w, http.StatusBadRequest, "Application or extension must be specified")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.failNext) > 0 {
		f := s.failNext[0]
		s.failNext = s.failNext[1:]
		writeJSON(w, f.status, map[string]string{"error": "Allocation failed"})
		return
	}
	if id := q.get("channelId"); id != "" && s.channels[id] != nil {
		writeErr(w, http.StatusConflict, "Channel with given unique ID already exists")
		return
	}
	tech, rest, _ := strings.Cut(endpoint, "/")
	var c *channel
	now := s.now()
	mk := func(id, name string, kind chanKind) *channel {
		if id == "" {
			id = s.newID()
		}
		return &channel{id: id, name: name, kind: kind, state: "Down", created: now, vars: map[string]string{}, apps: map[string]bool{}}
	}
	var far farEnd
	switch strings.ToLower(tech) {
	case "local":
		exten, ctx, ok := strings.Cut(strings.TrimSuffix(rest, "/n"), "@")
		if !ok {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "Allocation failed"})
			return
		}
		s.localSeq++
		base := fmt.Sprintf("Local/%s@%s-%08x", exten, ctx, s.localSeq)
		c = mk(q.get("channelId"), base+";1", kindLocal1)
		otherID := q.get("otherChannelId")
		if otherID == "" {
			otherID = c.id + ";2"
			if q.get("channelId") == "" {
				otherID = s.newID()
			}
		}
		c2 := mk(otherID, base+";2", kindLocal2)
		c2.state = "Ring"
		c.dp = dialplan{Context: ctx, Exten: exten, Priority: 1, AppName: "AppDial2", AppData: "(Outgoing Line)"}
		c2.dp = dialplan{Context: ctx, Exten: exten, Priority: 1}
		c.peer, c2.peer = c2, c
		far = s.farForLocal(exten, ctx)
		c2.far = far
		c.vars["__dialstring"] = exten + "@" + ctx
	case "pjsip", "sip":
		res, trunk, hasTrunk := strings.Cut(rest, "@")
		if hasTrunk {
			far = s.farForNumber(res)
			if far == nil {
				far = &failingFar{cause: 1}
			}
			s.localSeq++
			c = mk(q.get("channelId"), fmt.Sprintf("PJSIP/%s-%08x", trunk, s.localSeq), kindPJSIP)
		} else {
			d, ok := s.opts.Devices[res]
			if !ok || d.Mode == DeviceOffline {
				writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "Allocation failed"})
				return
			}
			far = newDevice(res, d, s)
			s.localSeq++
			c = mk(q.get("channelId"), fmt.Sprintf("PJSIP/%s-%08x", res, s.localSeq), kindPJSIP)
		}
		c.dp = dialplan{Context: "default", Exten: "s", Priority: 1, AppName: "AppDial2", AppData: "(Outgoing Line)"}
		c.far = far
		c.vars["__dialstring"] = rest
	default:
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "Allocation failed"})
		return
	}
	if cid := q.get("callerId"); cid != "" {
		c.caller = parseCallerID(cid)
		if c.kind == kindPJSIP {
			c.connected = c.caller // a trunk call shows our own id as connected (trace j)
		}
	}
	if n, ok := q.vars["CALLERID(name)"]; ok {
		c.caller.Name = n
	}
	if n, ok := q.vars["CALLERID(num)"]; ok {
		c.caller.Number = n
	}
	if app != "" {
		c.apps[app] = true
		if c.peer != nil {
			c.peer.apps[app] = true
		}
	}
	var args []string
	if a := q.get("appArgs"); a != "" {
		args = strings.Split(a, ",")
	}
	s.channels[c.id] = c
	if c.peer != nil {
		s.channels[c.peer.id] = c.peer
	}
	timeout := time.Duration(atoiDefault(q.get("timeout"), 30)) * time.Second
	if timeout <= 0 {
		timeout = 24 * time.Hour // negative: no timeout
	}
	writeJSON(w, http.StatusOK, c.json())
	vars := q.vars
	s.wg.Add(1)
	go s.runDial(c, far, app, args, vars, timeout)
}

// runDial runs after the 200: Dial event, the far end's ring/answer, and the originate timeout.
func (s *Server) runDial(c *channel, far farEnd, app string, args []string, vars map[string]string, timeout time.Duration) {
	defer s.wg.Done()
	time.Sleep(time.Millisecond) // the 200 leaves before any event, as with Asterisk
	s.mu.Lock()
	if c.dead {
		s.mu.Unlock()
		return
	}
	c.vars["__app"] = app
	c.stasisArgs = args
	if c.peer != nil {
		for k, v := range vars {
			if !strings.HasPrefix(k, "CALLERID") {
				s.varset(c.peer, k, v)
			}
		}
	}
	for k, v := range vars {
		if !strings.HasPrefix(k, "CALLERID") {
			c.vars[k] = v
		}
	}
	if p := c.peer; p != nil && c.caller != (party{}) {
		// the dialplan half learns who is calling (trace g: ChannelConnectedLine on ;2)
		p.connected = c.caller
		s.chanEvent("ChannelConnectedLine", p, nil)
	}
	if _, bad := far.(*noContext); bad {
		p := c.peer
		s.destroyLocked(p, 0)
		s.destroyLocked(c, 0)
		s.mu.Unlock()
		return
	}
	s.emitLocked("Dial", c.apps, map[string]any{"dialstatus": "", "dialstring": c.vars["__dialstring"], "forward": "", "peer": c.json()})
	s.mu.Unlock()

	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		far.dial(s, c)
	}()
	t := s.clk.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-t.C():
		s.mu.Lock()
		if !c.dead && c.state != "Up" {
			far.stop()
			s.dialFailedLocked(c, 19)
		}
		s.mu.Unlock()
	case <-s.ctx.Done():
	}
}

// farRinging marks the call as ringing at the far end.
func (s *Server) farRinging(c *channel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.dead || c.state != "Down" {
		return
	}
	if c.kind == kindPJSIP {
		c.state = "Ringing"
		s.chanEvent("ChannelStateChange", c, nil)
	}
}

// farAnswer answers the call from the far end: state changes, Dial ANSWER, StasisStart.
func (s *Server) farAnswer(c *channel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.dead || c.state == "Up" {
		return
	}
	if p := c.peer; p != nil {
		// the dialplan half runs Answer() (traces a, e, g: ChannelDialplan before the state change)
		p.dp.AppName, p.dp.AppData = "Answer", ""
		s.chanEvent("ChannelDialplan", p, map[string]any{"dialplan_app": "Answer", "dialplan_app_data": ""})
		p.state = "Up"
		s.chanEvent("ChannelStateChange", p, nil)
	}
	c.state = "Up"
	s.chanEvent("ChannelStateChange", c, nil)
	s.emitLocked("Dial", c.apps, map[string]any{"dialstatus": "ANSWER", "dialstring": c.vars["__dialstring"], "forward": "", "peer": c.json()})
	app := c.vars["__app"]
	if app == "" || !s.appRegistered(app) {
		// Stasis fails without a WebSocket for the app: the channel just goes away
		if p := c.peer; p != nil {
			s.destroyLocked(p, 16)
		}
		s.destroyLocked(c, 16)
		return
	}
	s.enterStasisLocked(c, app, c.stasisArgs)
}

// farFail ends an unanswered call with cause (17 busy, 34 congestion, ...).
func (s *Server) farFail(c *channel, cause int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.dead {
		return
	}
	s.dialFailedLocked(c, cause)
}

// farHangup hangs up an answered call from the far end.
func (s *Server) farHangup(c *channel, cause int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.farHangupLocked(c, cause)
}

func (s *Server) hangup(w http.ResponseWriter, q *req) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channelFor(w, q.path["id"])
	if c == nil {
		return
	}
	cause := reasonCause(q.get("reason"))
	if rc := q.get("reason_code"); rc != "" {
		cause = atoiDefault(rc, 16)
	}
	noContent(w)
	if c.state != "Up" && c.stasisApp == "" && c.kind != kindLocal2 {
		if c.far != nil {
			c.far.stop()
		} else if c.peer != nil && c.peer.far != nil {
			c.peer.far.stop()
		}
		s.chanEvent("ChannelHangupRequest", c, map[string]any{"cause": 32, "soft": true})
		s.dialFailedLocked(c, cause)
		return
	}
	s.hangupLocked(c, cause, true)
}

func (s *Server) answer(w http.ResponseWriter, q *req) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stasisChannel(w, q.path["id"]) == nil {
		return
	}
	noContent(w)
}

func (s *Server) ring(w http.ResponseWriter, q *req) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stasisChannel(w, q.path["id"]) == nil {
		return
	}
	noContent(w)
}

func (s *Server) ringStop(w http.ResponseWriter, q *req) { s.ring(w, q) }

const dtmfDigits = "0123456789*#ABCDabcd"

func (s *Server) dtmf(w http.ResponseWriter, q *req) {
	s.mu.Lock()
	c := s.stasisChannel(w, q.path["id"])
	if c == nil {
		s.mu.Unlock()
		return
	}
	digits := q.get("dtmf")
	if digits == "" {
		s.mu.Unlock()
		writeErr(w, http.StatusBadRequest, "DTMF is required")
		return
	}
	s.mu.Unlock()
	noContent(w)
	between := time.Duration(atoiDefault(q.get("between"), 100)) * time.Millisecond
	duration := time.Duration(atoiDefault(q.get("duration"), 100)) * time.Millisecond
	before := time.Duration(atoiDefault(q.get("before"), 0)) * time.Millisecond
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		// the far end sees the digit about 200 ms after the 204
		if clock.Sleep(s.ctx, s.clk, before+200*time.Millisecond) != nil {
			return
		}
		for i := 0; i < len(digits); i++ {
			d := digits[i]
			if d == ',' {
				if clock.Sleep(s.ctx, s.clk, 500*time.Millisecond) != nil {
					return
				}
				continue
			}
			if !strings.ContainsRune(dtmfDigits, rune(d)) {
				continue // invalid digits are ignored
			}
			s.mu.Lock()
			if c.dead {
				s.mu.Unlock()
				return
			}
			if f := farOf(c); f != nil {
				f.digit(d)
			}
			if p := c.peer; p != nil && !p.dead {
				s.chanEvent("ChannelDtmfReceived", p, map[string]any{"digit": string(d), "duration_ms": int(duration / time.Millisecond)})
			}
			s.mu.Unlock()
			if clock.Sleep(s.ctx, s.clk, duration+between) != nil {
				return
			}
		}
	}()
}

// farOf is the far end behind a channel (its own, or its Local peer's).
func farOf(c *channel) farEnd {
	if c.far != nil {
		return c.far
	}
	if c.peer != nil && c.kind == kindLocal1 {
		return c.peer.far
	}
	return nil
}

func (s *Server) getVar(w http.ResponseWriter, q *req) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channelFor(w, q.path["id"])
	if c == nil {
		return
	}
	name := q.get("variable")
	if name == "" {
		writeErr(w, http.StatusBadRequest, "Variable name is required")
		return
	}
	switch name {
	case "CHANNEL(name)":
		writeJSON(w, http.StatusOK, map[string]string{"value": c.name})
		return
	case "CHANNEL(state)":
		writeJSON(w, http.StatusOK, map[string]string{"value": c.state})
		return
	case "CALLERID(name)":
		writeJSON(w, http.StatusOK, map[string]string{"value": c.caller.Name})
		return
	case "CALLERID(num)":
		writeJSON(w, http.StatusOK, map[string]string{"value": c.caller.Number})
		return
	}
	if strings.Contains(name, "(") {
		writeErr(w, http.StatusInternalServerError, "Unable to read provided function")
		return
	}
	v, ok := c.vars[name]
	if !ok || strings.HasPrefix(name, "__") {
		writeErr(w, http.StatusNotFound, "Provided variable was not found")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"value": v})
}

func (s *Server) setVar(w http.ResponseWriter, q *req) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channelFor(w, q.path["id"])
	if c == nil {
		return
	}
	name := q.get("variable")
	if name == "" {
		writeErr(w, http.StatusBadRequest, "Variable name is required")
		return
	}
	s.varset(c, name, q.get("value"))
	noContent(w)
}

func (s *Server) snoop(w http.ResponseWriter, q *req) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.channels[q.path["id"]]
	if t == nil {
		writeErr(w, http.StatusNotFound, "Provided channel was not found")
		return
	}
	app := q.get("app")
	if app == "" {
		writeErr(w, http.StatusBadRequest, "Missing parameter app")
		return
	}
	spy, whisper := q.get("spy"), q.get("whisper")
	if spy == "" {
		spy = "none"
	}
	if whisper == "" {
		whisper = "none"
	}
	valid := func(v string) bool { return v == "none" || v == "in" || v == "out" || v == "both" }
	if !valid(spy) || !valid(whisper) || (spy == "none" && whisper == "none") {
		writeErr(w, http.StatusBadRequest, "Invalid direction specified for spy/whisper")
		return
	}
	id := q.get("snoopId")
	if id == "" {
		id = s.newID()
	} else if s.channels[id] != nil {
		writeErr(w, http.StatusConflict, "Channel with given unique ID already exists")
		return
	}
	s.localSeq++
	c := &channel{
		id: id, name: fmt.Sprintf("Snoop/%s-%08x", t.id, s.localSeq), kind: kindSnoop, state: "Up",
		created: s.now(), vars: map[string]string{}, apps: map[string]bool{app: true},
		dp:    dialplan{Context: "default", Exten: "s", Priority: 1},
		snoop: &snoopInfo{target: t, spy: spy, whisper: whisper},
	}
	s.channels[c.id] = c
	writeJSON(w, http.StatusOK, c.json())
	var args []string
	if a := q.get("appArgs"); a != "" {
		args = strings.Split(a, ",")
	}
	if args == nil {
		args = []string{}
	}
	c.stasisApp, c.stasisArgs = app, args
	c.dp = dialplan{Context: "default", Exten: "s", Priority: 1, AppName: "Stasis", AppData: app}
	s.chanEvent("StasisStart", c, map[string]any{"args": args})
}

func sortStrings(v []string) {
	for i := 1; i < len(v); i++ {
		for j := i; j > 0 && v[j] < v[j-1]; j-- {
			v[j], v[j-1] = v[j-1], v[j]
		}
	}
}
