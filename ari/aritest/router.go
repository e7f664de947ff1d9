package aritest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// req is one ARI request: path variables plus parameters merged from query and JSON body, as
// Asterisk accepts either.
type req struct {
	r    *http.Request
	path map[string]string
	q    map[string]string
	vars map[string]string // "variables" from the body
}

func (q *req) get(k string) string { return q.q[k] }

type handler func(w http.ResponseWriter, q *req)

type route struct {
	method string
	segs   []string
	h      handler
}

func (s *Server) routes() []route {
	mk := func(method, pattern string, h handler) route {
		return route{method: method, segs: strings.Split(strings.Trim(pattern, "/"), "/"), h: h}
	}
	return []route{
		mk("GET", "asterisk/info", s.getInfo),
		mk("GET", "applications", s.listApps),
		mk("GET", "applications/{app}", s.getApp),
		mk("POST", "applications/{app}/subscription", s.subscribe),
		mk("DELETE", "applications/{app}/subscription", s.unsubscribe),
		mk("GET", "channels", s.listChannels),
		mk("POST", "channels", s.originate),
		mk("POST", "channels/externalMedia", s.externalMedia),
		mk("GET", "channels/{id}", s.getChannel),
		mk("POST", "channels/{id}", s.originateWithID),
		mk("DELETE", "channels/{id}", s.hangup),
		mk("POST", "channels/{id}/answer", s.answer),
		mk("POST", "channels/{id}/ring", s.ring),
		mk("DELETE", "channels/{id}/ring", s.ringStop),
		mk("POST", "channels/{id}/dtmf", s.dtmf),
		mk("POST", "channels/{id}/snoop", s.snoop),
		mk("POST", "channels/{id}/snoop/{snoopId}", func(w http.ResponseWriter, q *req) { q.q["snoopId"] = q.path["snoopId"]; s.snoop(w, q) }),
		mk("GET", "channels/{id}/variable", s.getVar),
		mk("POST", "channels/{id}/variable", s.setVar),
		mk("POST", "channels/{id}/play", s.playChannel),
		mk("POST", "channels/{id}/moh", s.channelMOH),
		mk("DELETE", "channels/{id}/moh", s.channelMOHStop),
		mk("POST", "channels/{id}/record", s.recordChannel),
		mk("GET", "bridges", s.listBridges),
		mk("POST", "bridges", s.createBridge),
		mk("GET", "bridges/{id}", s.getBridge),
		mk("POST", "bridges/{id}", s.createBridgeWithID),
		mk("DELETE", "bridges/{id}", s.destroyBridge),
		mk("POST", "bridges/{id}/addChannel", s.addChannel),
		mk("POST", "bridges/{id}/removeChannel", s.removeChannel),
		mk("POST", "bridges/{id}/moh", s.bridgeMOH),
		mk("DELETE", "bridges/{id}/moh", s.bridgeMOHStop),
		mk("POST", "bridges/{id}/play", s.playBridge),
		mk("POST", "bridges/{id}/record", s.recordBridge),
		mk("GET", "playbacks/{id}", s.getPlayback),
		mk("DELETE", "playbacks/{id}", s.stopPlayback),
		mk("GET", "recordings/live/{name}", s.getLiveRec),
		mk("POST", "recordings/live/{name}/stop", s.stopLiveRec),
		mk("DELETE", "recordings/live/{name}", s.cancelLiveRec),
		mk("GET", "recordings/stored", s.listStored),
		mk("GET", "recordings/stored/{name}", s.getStored),
		mk("GET", "recordings/stored/{name}/file", s.getStoredFile),
		mk("DELETE", "recordings/stored/{name}", s.deleteStored),
		mk("POST", "recordings/stored/{name}/copy", s.copyStored),
		mk("GET", "endpoints", s.listEndpoints),
		mk("GET", "endpoints/{tech}", s.listEndpointsTech),
		mk("GET", "endpoints/{tech}/{resource}", s.getEndpoint),
	}
}

func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	segs := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/ari/"), "/"), "/")
	pathFound := false
	for _, rt := range s.routes() {
		vars, ok := match(rt.segs, segs)
		if !ok {
			continue
		}
		pathFound = true
		if rt.method != r.Method {
			continue
		}
		q, err := parseReq(r, vars)
		if err != nil {
			writeErr(w, http.StatusBadRequest, "Error parsing request body")
			return
		}
		rt.h(w, q)
		return
	}
	if pathFound {
		writeErr(w, http.StatusMethodNotAllowed, "Invalid method")
		return
	}
	writeErr(w, http.StatusNotFound, "Resource not found")
}

func match(pat, segs []string) (map[string]string, bool) {
	if len(pat) != len(segs) {
		return nil, false
	}
	vars := map[string]string{}
	for i, p := range pat {
		if strings.HasPrefix(p, "{") {
			vars[strings.Trim(p, "{}")] = segs[i]
			continue
		}
		if p != segs[i] {
			return nil, false
		}
	}
	// a literal route wins over a variable one (channels/externalMedia vs channels/{id})
	if id, ok := vars["id"]; ok && id == "externalMedia" && len(pat) == 2 && pat[0] == "channels" {
		return nil, false
	}
	return vars, true
}

func parseReq(r *http.Request, vars map[string]string) (*req, error) {
	q := &req{r: r, path: vars, q: map[string]string{}, vars: map[string]string{}}
	for k, v := range r.URL.Query() {
		if len(v) > 0 {
			q.q[k] = v[0]
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return q, nil
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("parse body: %w", err)
	}
	for k, v := range m {
		switch x := v.(type) {
		case string:
			q.q[k] = x
		case float64, bool:
			q.q[k] = fmt.Sprint(x)
		case map[string]any:
			if k == "variables" {
				for vk, vv := range x {
					q.vars[vk] = fmt.Sprint(vv)
				}
			}
		}
	}
	return q, nil
}
