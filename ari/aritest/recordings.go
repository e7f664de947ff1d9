package aritest

import (
	"bytes"
	"net/http"
	"sort"
	"time"

	"github.com/holdslayer/holdslayer/app/audio"
)

// recording is a live recording of a bridge (the mix) or a channel (what it reads).
type recording struct {
	name, format, target string
	samples              []int16
	started              time.Time
	apps                 map[string]bool
	done                 bool
}

// storedRecording is a finished recording, served as 8 kHz 16-bit WAV.
type storedRecording struct {
	name, format string
	samples      []int16
}

func (r *recording) json(state string) map[string]any {
	return map[string]any{"format": r.format, "name": r.name, "state": state, "target_uri": r.target}
}

func (s *Server) startRecording(w http.ResponseWriter, q *req, target string, apps map[string]bool, inBridge bool) *recording {
	name, format := q.get("name"), q.get("format")
	if name == "" || format == "" {
		writeErr(w, http.StatusBadRequest, "Missing parameter name or format")
		return nil
	}
	if format != "wav" {
		writeErr(w, http.StatusUnprocessableEntity, "specified format is unknown on this system")
		return nil
	}
	if s.liveRecs[name] != nil || (s.stored[name] != nil && q.get("ifExists") != "overwrite") {
		writeErr(w, http.StatusConflict, "Recording '"+name+"' already exists and can not be overwritten")
		return nil
	}
	r := &recording{name: name, format: format, target: target, started: s.now(), apps: map[string]bool{}}
	for a := range apps {
		r.apps[a] = true
	}
	if inBridge {
		// Asterisk answers 201 and then fails by event
		ev := r.json("failed")
		ev["cause"] = "Cannot record channel while in bridge"
		s.emitLocked("RecordingFailed", r.apps, map[string]any{"recording": ev})
		writeJSON(w, http.StatusCreated, r.json("failed"))
		return nil
	}
	s.liveRecs[name] = r
	writeJSON(w, http.StatusCreated, r.json("queued"))
	s.emitLocked("RecordingStarted", r.apps, map[string]any{"recording": r.json("recording")})
	return r
}

func (s *Server) recordChannel(w http.ResponseWriter, q *req) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.stasisChannel(w, q.path["id"])
	if c == nil {
		return
	}
	if r := s.startRecording(w, q, "channel:"+c.id, c.apps, c.bridge != nil); r != nil {
		c.recordings = append(c.recordings, r)
	}
}

func (s *Server) recordBridge(w http.ResponseWriter, q *req) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.bridgeFor(w, q.path["id"])
	if b == nil {
		return
	}
	if r := s.startRecording(w, q, "bridge:"+b.id, b.apps, false); r != nil {
		b.recordings = append(b.recordings, r)
	}
}

// finishRecordingLocked stores the recording and emits RecordingFinished (duration in whole
// seconds of clock time).
func (s *Server) finishRecordingLocked(r *recording, keep bool) {
	if r.done {
		return
	}
	r.done = true
	delete(s.liveRecs, r.name)
	if keep {
		s.stored[r.name] = &storedRecording{name: r.name, format: r.format, samples: r.samples}
	}
	ev := r.json("done")
	ev["duration"] = int(s.now().Sub(r.started) / time.Second)
	s.emitLocked("RecordingFinished", r.apps, map[string]any{"recording": ev})
}

func (s *Server) detachRecordingLocked(r *recording) {
	for _, c := range s.channels {
		for i, x := range c.recordings {
			if x == r {
				c.recordings = append(c.recordings[:i], c.recordings[i+1:]...)
				break
			}
		}
	}
	for _, b := range s.bridges {
		for i, x := range b.recordings {
			if x == r {
				b.recordings = append(b.recordings[:i], b.recordings[i+1:]...)
				break
			}
		}
	}
}

func (s *Server) getLiveRec(w http.ResponseWriter, q *req) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.liveRecs[q.path["name"]]
	if r == nil {
		writeErr(w, http.StatusNotFound, "Recording not found")
		return
	}
	writeJSON(w, http.StatusOK, r.json("recording"))
}

func (s *Server) stopLiveRec(w http.ResponseWriter, q *req) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.liveRecs[q.path["name"]]
	if r == nil {
		writeErr(w, http.StatusNotFound, "Recording not found")
		return
	}
	s.detachRecordingLocked(r)
	s.finishRecordingLocked(r, true)
	noContent(w)
}

func (s *Server) cancelLiveRec(w http.ResponseWriter, q *req) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.liveRecs[q.path["name"]]
	if r == nil {
		writeErr(w, http.StatusNotFound, "Recording not found")
		return
	}
	s.detachRecordingLocked(r)
	r.done = true
	delete(s.liveRecs, r.name)
	noContent(w)
}

func (s *Server) listStored(w http.ResponseWriter, _ *req) {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.stored))
	for n := range s.stored {
		names = append(names, n)
	}
	sort.Strings(names)
	out := []map[string]string{}
	for _, n := range names {
		out = append(out, map[string]string{"format": s.stored[n].format, "name": n})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getStored(w http.ResponseWriter, q *req) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.stored[q.path["name"]]
	if r == nil {
		writeErr(w, http.StatusNotFound, "Recording not found")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"format": r.format, "name": r.name})
}

func (s *Server) getStoredFile(w http.ResponseWriter, q *req) {
	s.mu.Lock()
	r := s.stored[q.path["name"]]
	var samples []int16
	if r != nil {
		samples = append(samples, r.samples...)
	}
	s.mu.Unlock()
	if r == nil {
		writeErr(w, http.StatusNotFound, "Recording not found")
		return
	}
	var buf bytes.Buffer
	if err := audio.WriteWAV(&buf, samples, 8000); err != nil {
		writeErr(w, http.StatusInternalServerError, "An internal error prevented this request from being handled")
		return
	}
	w.Header().Set("Content-Type", "audio/wav")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) deleteStored(w http.ResponseWriter, q *req) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stored[q.path["name"]] == nil {
		writeErr(w, http.StatusNotFound, "Recording not found")
		return
	}
	delete(s.stored, q.path["name"])
	noContent(w)
}

func (s *Server) copyStored(w http.ResponseWriter, q *req) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.stored[q.path["name"]]
	if r == nil {
		writeErr(w, http.StatusNotFound, "Recording not found")
		return
	}
	dst := q.get("destinationRecordingName")
	if dst == "" {
		writeErr(w, http.StatusBadRequest, "Missing parameter destinationRecordingName")
		return
	}
	if s.stored[dst] != nil {
		writeErr(w, http.StatusConflict, "A recording with the same name already exists on the system")
		return
	}
	s.stored[dst] = &storedRecording{name: dst, format: r.format, samples: r.samples}
	writeJSON(w, http.StatusOK, map[string]string{"format": r.format, "name": dst})
}
