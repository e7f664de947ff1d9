package aritest

import (
	"net/http"
	"strings"
)

// playback is one ARI playback on a channel or bridge.
type playback struct {
	id, mediaURI, targetURI string
	samples                 []int16
	pos                     int
	state                   string
	apps                    map[string]bool
	failed                  bool
	started                 bool
}

func (p *playback) json() map[string]any {
	return map[string]any{"id": p.id, "language": "en", "media_uri": p.mediaURI, "state": p.state, "target_uri": p.targetURI}
}

// advancePlaysLocked returns the next frame of the first queued playback, starting and
// finishing playbacks (with their events) as it goes.
func (s *Server) advancePlaysLocked(plays *[]*playback) []int16 {
	for len(*plays) > 0 {
		p := (*plays)[0]
		if !p.started {
			p.started = true
			p.state = "playing"
			s.emitLocked("PlaybackStarted", p.apps, map[string]any{"playback": p.json()})
			if p.failed {
				*plays = (*plays)[1:]
				s.finishPlaybackLocked(p, "failed")
				continue
			}
		}
		if p.pos >= len(p.samples) {
			*plays = (*plays)[1:]
			s.finishPlaybackLocked(p, "done")
			continue
		}
		f := silence()
		copy(f, p.samples[p.pos:])
		p.pos += frameSamples
		return f
	}
	return nil
}

func (s *Server) finishPlaybackLocked(p *playback, state string) {
	if p.state == "done" || p.state == "failed" {
		return
	}
	if !p.started {
		p.started = true
		p.state = "playing"
		s.emitLocked("PlaybackStarted", p.apps, map[string]any{"playback": p.json()})
	}
	p.state = state
	s.emitLocked("PlaybackFinished", p.apps, map[string]any{"playback": p.json()})
	delete(s.playbacks, p.id)
}

// mediaSamples resolves an ARI media URI (sound:, recording:, tone:) to 8 kHz samples.
func (s *Server) mediaSamples(uri string) ([]int16, bool) {
	scheme, name, _ := strings.Cut(uri, ":")
	switch scheme {
	case "sound":
		pcm, err := s.sounds.sound(name)
		return pcm, err == nil
	case "recording":
		if r := s.stored[name]; r != nil {
			return r.samples, true
		}
	case "tone":
		return toneSamples(name, 8000), true
	}
	return nil, false
}

func (s *Server) newPlayback(q *req, target string, apps map[string]bool) (*playback, bool) {
	media := q.get("media")
	if media == "" {
		return nil, false
	}
	id := q.get("playbackId")
	if id == "" {
		id = newUUID()
	}
	p := &playback{id: id, mediaURI: media, targetURI: target, state: "queued", apps: map[string]bool{}}
	for a := range apps {
		p.apps[a] = true
	}
	// several comma-separated URIs play one after another
	for _, m := range strings.Split(media, ",") {
		smp, ok := s.mediaSamples(m)
		if !ok {
			p.failed = true
			break
		}
		p.samples = append(p.samples, smp...)
	}
	s.playbacks[id] = p
	return p, true
}

func (s *Server) playChannel(w http.ResponseWriter, q *req) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.stasisChannel(w, q.path["id"])
	if c == nil {
		return
	}
	p, ok := s.newPlayback(q, "channel:"+c.id, c.apps)
	if !ok {
		writeErr(w, http.StatusBadRequest, "Missing parameter media")
		return
	}
	writeJSON(w, http.StatusCreated, p.json())
	c.plays = append(c.plays, p)
}

func (s *Server) playBridge(w http.ResponseWriter, q *req) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.bridgeFor(w, q.path["id"])
	if b == nil {
		return
	}
	p, ok := s.newPlayback(q, "bridge:"+b.id, b.apps)
	if !ok {
		writeErr(w, http.StatusBadRequest, "Missing parameter media")
		return
	}
	writeJSON(w, http.StatusCreated, p.json())
	b.plays = append(b.plays, p)
}

func (s *Server) getPlayback(w http.ResponseWriter, q *req) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.playbacks[q.path["id"]]
	if p == nil {
		writeErr(w, http.StatusNotFound, "Playback not found")
		return
	}
	writeJSON(w, http.StatusOK, p.json())
}

func (s *Server) stopPlayback(w http.ResponseWriter, q *req) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.playbacks[q.path["id"]]
	if p == nil {
		writeErr(w, http.StatusNotFound, "Playback not found")
		return
	}
	p.pos = len(p.samples) // the media loop finishes it on the next frame
	noContent(w)
}

func (s *Server) channelMOH(w http.ResponseWriter, q *req) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.stasisChannel(w, q.path["id"])
	if c == nil {
		return
	}
	c.moh = &loop{samples: s.sounds.moh(q.get("mohClass"))}
	noContent(w)
}

func (s *Server) channelMOHStop(w http.ResponseWriter, q *req) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.stasisChannel(w, q.path["id"])
	if c == nil {
		return
	}
	c.moh = nil
	noContent(w)
}

func (s *Server) bridgeMOH(w http.ResponseWriter, q *req) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.bridgeFor(w, q.path["id"])
	if b == nil {
		return
	}
	b.moh = &loop{samples: s.sounds.moh(q.get("mohClass"))}
	noContent(w)
}

func (s *Server) bridgeMOHStop(w http.ResponseWriter, q *req) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.bridgeFor(w, q.path["id"])
	if b == nil {
		return
	}
	if b.moh == nil {
		writeErr(w, http.StatusConflict, "Bridge isn't playing music on hold")
		return
	}
	b.moh = nil
	noContent(w)
}
