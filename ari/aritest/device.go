package aritest

import (
	"context"
	"net/http"
	"sort"
	"time"

	"github.com/holdslayer/holdslayer/app/clock"
)

// DeviceMode is how a simulated user device treats an incoming call.
type DeviceMode int

const (
	// DeviceAnswers answers after Rings rings (the default).
	DeviceAnswers DeviceMode = iota
	// DeviceNeverAnswers rings until the originate times out.
	DeviceNeverAnswers
	// DeviceBusy rejects with cause 17.
	DeviceBusy
	// DeviceOffline is not registered: originate answers 500 and the endpoint reads offline.
	DeviceOffline
)

// RingCycle is one ring (US cadence: 2 s on, 4 s off) of clock time.
const RingCycle = 6 * time.Second

// DeviceBehavior is a simulated user phone (PJSIP/<name>).
type DeviceBehavior struct {
	Mode DeviceMode
	// Rings before answering (0 answers at once).
	Rings int
	// Greeting, if set, is said (espeak-ng, Voice) when the device answers, e.g. "Hello?".
	Greeting string
	Voice    string
	// HangupAfter, if set, hangs up that long after answering.
	HangupAfter time.Duration
}

// device is a user phone on the far end; what it hears is kept in Server.heard.
type device struct {
	*voice
	name   string
	b      DeviceBehavior
	s      *Server
	ctx    context.Context
	cancel context.CancelFunc
}

func newDevice(name string, b DeviceBehavior, s *Server) *device {
	ctx, cancel := context.WithCancel(context.Background())
	return &device{voice: newVoice(), name: name, b: b, s: s, ctx: ctx, cancel: cancel}
}

func (d *device) stop() { d.cancel() }

// hear records what the device receives (silence for frames not sent, to keep the timeline).
// Called by the media loop with Server.mu held.
func (d *device) hear(f []int16) {
	d.voice.hear(f)
	if f == nil {
		f = silence()
	}
	d.s.heard[d.name] = append(d.s.heard[d.name], f...)
}

func (d *device) dial(s *Server, c *channel) {
	switch d.b.Mode {
	case DeviceBusy:
		s.farFail(c, 17)
		return
	case DeviceNeverAnswers, DeviceOffline:
		s.farRinging(c)
		<-d.ctx.Done()
		return
	}
	if d.b.Rings > 0 {
		s.farRinging(c)
		if clock.Sleep(d.ctx, s.clk, time.Duration(d.b.Rings)*RingCycle) != nil {
			return
		}
	}
	s.farAnswer(c)
	if d.b.Greeting != "" {
		if smp, err := s.sounds.say(d.b.Greeting, d.b.Voice); err == nil {
			d.start(smp)
		}
	}
	if d.b.HangupAfter > 0 {
		if clock.Sleep(d.ctx, s.clk, d.b.HangupAfter) == nil {
			s.farHangup(c, 16)
		}
	}
}

func (s *Server) endpointJSON(tech, res string) map[string]any {
	state := "online"
	if d, ok := s.opts.Devices[res]; ok && d.Mode == DeviceOffline {
		state = "offline"
	}
	ids := []string{}
	for _, c := range s.sortedChannels() {
		if c.kind == kindPJSIP {
			if f, ok := c.far.(*device); ok && f.name == res {
				ids = append(ids, c.id)
			}
		}
	}
	return map[string]any{"channel_ids": ids, "resource": res, "state": state, "technology": tech}
}

func (s *Server) endpointNames() []string {
	names := []string{"trunk"}
	for n := range s.opts.Devices {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (s *Server) listEndpoints(w http.ResponseWriter, _ *req) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for _, n := range s.endpointNames() {
		out = append(out, s.endpointJSON("PJSIP", n))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) listEndpointsTech(w http.ResponseWriter, q *req) {
	if q.path["tech"] != "PJSIP" {
		writeErr(w, http.StatusNotFound, "Endpoints not found")
		return
	}
	s.listEndpoints(w, q)
}

func (s *Server) getEndpoint(w http.ResponseWriter, q *req) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tech, res := q.path["tech"], q.path["resource"]
	if tech != "PJSIP" {
		writeErr(w, http.StatusNotFound, "Endpoint not found")
		return
	}
	if _, ok := s.opts.Devices[res]; !ok && res != "trunk" {
		writeErr(w, http.StatusNotFound, "Endpoint not found")
		return
	}
	writeJSON(w, http.StatusOK, s.endpointJSON(tech, res))
}
