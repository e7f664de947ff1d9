package aritest

import (
	"net/http"
	"sort"
	"strings"
	"time"
)

var bridgeTypes = map[string]bool{"mixing": true, "holding": true, "dtmf_events": true, "proxy_media": true, "video_sfu": true, "video_single": true}

func (s *Server) listBridges(w http.ResponseWriter, _ *req) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.bridges))
	for id := range s.bridges {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := []map[string]any{}
	for _, id := range ids {
		out = append(out, s.bridges[id].json())
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createBridgeWithID(w http.ResponseWriter, q *req) {
	q.q["bridgeId"] = q.path["id"]
	s.createBridge(w, q)
}

func (s *Server) createBridge(w http.ResponseWriter, q *req) {
	s.mu.Lock()
	slow, creating := s.faults.SlowBridgeCreate, s.faults.BridgeCreating
	s.mu.Unlock()
	if creating != nil {
		select {
		case creating <- struct{}{}:
		default:
		}
	}
	if slow > 0 {
		time.Sleep(slow)
	}
	typ := q.get("type")
	if typ == "" {
		typ = "mixing"
	}
	main := "mixing"
	for _, t := range strings.Split(typ, ",") {
		if !bridgeTypes[t] {
			writeErr(w, http.StatusInternalServerError, "Unable to create bridge. Possible duplicate bridge id '(null)'")
			return
		}
		if t == "holding" {
			main = "holding"
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := q.get("bridgeId")
	if id == "" {
		id = newUUID()
	} else if b := s.bridges[id]; b != nil {
		writeJSON(w, http.StatusOK, b.json())
		return
	}
	b := &bridge{id: id, name: q.get("name"), typ: main, created: s.now(), apps: map[string]bool{}}
	s.bridges[id] = b
	writeJSON(w, http.StatusOK, b.json())
}

func (s *Server) getBridge(w http.ResponseWriter, q *req) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.bridgeFor(w, q.path["id"])
	if b == nil {
		return
	}
	writeJSON(w, http.StatusOK, b.json())
}

func (s *Server) stopBridgeMediaLocked(b *bridge) {
	for _, r := range b.recordings {
		s.finishRecordingLocked(r, true)
	}
	b.recordings = nil
	for _, p := range b.plays {
		s.finishPlaybackLocked(p, "done")
	}
	b.plays = nil
	b.moh = nil
}

func (s *Server) destroyBridge(w http.ResponseWriter, q *req) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.bridgeFor(w, q.path["id"])
	if b == nil {
		return
	}
	noContent(w)
	for len(b.members) > 0 {
		s.leaveBridgeLocked(b.members[0])
	}
	s.stopBridgeMediaLocked(b)
	delete(s.bridges, b.id)
	s.emitLocked("BridgeDestroyed", b.apps, map[string]any{"bridge": b.json()})
}

func (s *Server) addChannel(w http.ResponseWriter, q *req) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.bridgeFor(w, q.path["id"])
	if b == nil {
		return
	}
	ids := strings.Split(q.get("channel"), ",")
	if q.get("channel") == "" {
		writeErr(w, http.StatusBadRequest, "Missing parameter channel")
		return
	}
	if s.faults.AddBeforeStasis > 0 {
		s.faults.AddBeforeStasis--
		writeErr(w, http.StatusUnprocessableEntity, "Channel not in Stasis application")
		return
	}
	var add []*channel
	for _, id := range ids {
		c := s.channels[id]
		if c == nil {
			writeErr(w, http.StatusBadRequest, "Channel not found")
			return
		}
		if c.stasisApp == "" {
			writeErr(w, http.StatusUnprocessableEntity, "Channel not in Stasis application")
			return
		}
		add = append(add, c)
	}
	for _, c := range add {
		if c.bridge == b {
			continue
		}
		if c.bridge != nil {
			s.leaveBridgeLocked(c)
		}
		b.members = append(b.members, c)
		c.bridge = b
		for a := range c.apps {
			b.apps[a] = true
		}
		s.chanEvent("ChannelEnteredBridge", c, map[string]any{"bridge": b.json()})
		if len(b.members) == 2 && b.typ != "holding" {
			x, y := b.members[0], b.members[1]
			s.varset(x, "BRIDGEPEER", y.name)
			s.varset(y, "BRIDGEPEER", x.name)
		}
	}
	noContent(w)
}

func (s *Server) removeChannel(w http.ResponseWriter, q *req) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.bridgeFor(w, q.path["id"])
	if b == nil {
		return
	}
	var rm []*channel
	for _, id := range strings.Split(q.get("channel"), ",") {
		c := s.channels[id]
		if c == nil {
			writeErr(w, http.StatusBadRequest, "Channel not found")
			return
		}
		if c.bridge != b {
			writeErr(w, http.StatusUnprocessableEntity, "Channel not in this bridge")
			return
		}
		rm = append(rm, c)
	}
	for _, c := range rm {
		s.leaveBridgeLocked(c)
	}
	noContent(w)
}
