package app_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/holdslayer/holdslayer/app"
)

// fakePBX is a hand-written app.PBX: the test drives each channel (ring, answer, hang up) and
// scripts what the company "sounds like" through frames the scripted analyzer decodes.
type fakePBX struct {
	speaker  bool // sessions have a say channel
	mu       sync.Mutex
	ready    bool
	inbound  chan app.InboundCall
	online   map[string]bool
	sessions map[string]*fakeSession
	auto     map[string]autoAnswer // endpoint -> behaviour applied at originate
	nextID   int
}

// autoAnswer makes an endpoint ring and answer by itself after the given delays.
type autoAnswer struct {
	ringAfter, answerAfter time.Duration
}

func newFakePBX() *fakePBX {
	return &fakePBX{
		ready: true, inbound: make(chan app.InboundCall),
		online: map[string]bool{}, sessions: map[string]*fakeSession{}, auto: map[string]autoAnswer{},
	}
}

var _ app.PBX = (*fakePBX)(nil)

func (p *fakePBX) Open(_ context.Context, callID string) (app.Session, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.ready {
		return nil, errors.New("fake pbx down")
	}
	s := &fakeSession{
		pbx: p, callID: callID, events: make(chan app.PBXEvent, 1024),
		channels: map[string]*fakeChannel{}, bridges: map[string]*fakeBridge{},
		recordings: map[string]*fakeRecording{},
	}
	p.sessions[callID] = s
	return s, nil
}

func (p *fakePBX) Inbound() <-chan app.InboundCall { return p.inbound }

func (p *fakePBX) EndpointOnline(_ context.Context, endpoint string) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.online[endpoint], nil
}

func (p *fakePBX) Ready() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ready
}

func (p *fakePBX) setReady(r bool) {
	p.mu.Lock()
	p.ready = r
	p.mu.Unlock()
}

func (p *fakePBX) setOnline(endpoint string, on bool) {
	p.mu.Lock()
	p.online[endpoint] = on
	p.mu.Unlock()
}

func (p *fakePBX) session(callID string) *fakeSession {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sessions[callID]
}

func (p *fakePBX) newID(prefix string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.nextID++
	return fmt.Sprintf("%s-%d", prefix, p.nextID)
}

type fakeChannel struct {
	id, endpoint string
	up, gone     bool
	hangupReason string // set when the engine hung it up
}

type fakeBridge struct {
	kind      app.BridgeKind
	members   []string
	moh       bool
	destroyed bool
}

type fakeRecording struct {
	target   app.RecordTarget
	started  time.Time
	live     bool
	fetched  bool
	finished bool
}

// fakeSession records everything the engine does and lets the test play the far ends.
type fakeSession struct {
	pbx    *fakePBX
	callID string

	mu         sync.Mutex
	events     chan app.PBXEvent
	closed     bool
	closeCount int
	channels   map[string]*fakeChannel
	order      []string
	bridges    map[string]*fakeBridge
	bridgeN    int
	dtmf       []string
	sources    []*fakeSource
	recordings map[string]*fakeRecording
	timers     []*time.Timer
	frameN     int      // frames heard so far: the phase of the synthetic voice
	plays      []played // what the speaker played, with clock times
	listenHook func(ctx context.Context) error
}

// played is one phrase the say channel played.
type played struct {
	start, end time.Time
	samples    int
}

var _ app.Session = (*fakeSession)(nil)

// send delivers an event unless the session is closed.
func (s *fakeSession) send(ev app.PBXEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sendLocked(ev)
}

func (s *fakeSession) sendLocked(ev app.PBXEvent) {
	if s.closed {
		return
	}
	ev.At = time.Now()
	s.events <- ev
}

func (s *fakeSession) Events() <-chan app.PBXEvent { return s.events }

func (s *fakeSession) Originate(_ context.Context, endpoint string, _ app.OriginateOptions) (string, error) {
	id := s.pbx.newID("ch")
	s.pbx.mu.Lock()
	auto, hasAuto := s.pbx.auto[endpoint]
	s.pbx.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return "", errors.New("session closed")
	}
	s.channels[id] = &fakeChannel{id: id, endpoint: endpoint}
	s.order = append(s.order, id)
	if hasAuto {
		s.timers = append(s.timers,
			time.AfterFunc(auto.ringAfter, func() { s.FarRing(id) }),
			time.AfterFunc(auto.answerAfter, func() { s.FarAnswer(id) }))
	}
	return id, nil
}

func (s *fakeSession) Adopt(_ context.Context, channelID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[channelID] = &fakeChannel{id: channelID, endpoint: "inbound", up: true}
	s.order = append(s.order, channelID)
	return nil
}

func (s *fakeSession) Answer(_ context.Context, channelID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.channels[channelID]
	if !ok || ch.gone {
		return fmt.Errorf("channel %s not found", channelID)
	}
	ch.up = true
	return nil
}

func (s *fakeSession) Hangup(_ context.Context, channelID, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.channels[channelID]
	if !ok || ch.gone {
		return fmt.Errorf("channel %s not found", channelID)
	}
	ch.gone, ch.hangupReason = true, reason
	s.leaveBridges(channelID)
	s.sendLocked(app.PBXEvent{Kind: app.PBXHangup, ChannelID: channelID, Cause: 16, Reason: "normal"})
	return nil
}

func (s *fakeSession) leaveBridges(channelID string) {
	for _, b := range s.bridges {
		b.members = slices.DeleteFunc(b.members, func(m string) bool { return m == channelID })
	}
}

func (s *fakeSession) SendDTMF(_ context.Context, channelID, digits string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.channels[channelID]
	if !ok || ch.gone || !ch.up {
		return fmt.Errorf("channel %s not up", channelID)
	}
	s.dtmf = append(s.dtmf, digits)
	return nil
}

func (s *fakeSession) CreateBridge(_ context.Context, kind app.BridgeKind) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bridgeN++
	id := fmt.Sprintf("br-%s-%d", kind, s.bridgeN)
	s.bridges[id] = &fakeBridge{kind: kind}
	return id, nil
}

func (s *fakeSession) AddToBridge(_ context.Context, bridgeID, channelID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.bridges[bridgeID]
	if !ok || b.destroyed {
		return fmt.Errorf("bridge %s not found", bridgeID)
	}
	ch, ok := s.channels[channelID]
	if !ok || ch.gone {
		return fmt.Errorf("channel %s not found", channelID)
	}
	s.leaveBridges(channelID)
	b.members = append(b.members, channelID)
	return nil
}

func (s *fakeSession) RemoveFromBridge(_ context.Context, bridgeID, channelID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.bridges[bridgeID]
	if !ok || !slices.Contains(b.members, channelID) {
		return fmt.Errorf("channel %s not in bridge %s", channelID, bridgeID)
	}
	b.members = slices.DeleteFunc(b.members, func(m string) bool { return m == channelID })
	return nil
}

func (s *fakeSession) DestroyBridge(_ context.Context, bridgeID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.bridges[bridgeID]; ok {
		b.destroyed = true
	}
	return nil
}

func (s *fakeSession) StartMOH(_ context.Context, bridgeID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bridges[bridgeID].moh = true
	return nil
}

func (s *fakeSession) StopMOH(_ context.Context, bridgeID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bridges[bridgeID].moh = false
	return nil
}

func (s *fakeSession) Listen(ctx context.Context, channelID string) (app.AudioSource, error) {
	s.mu.Lock()
	hook := s.listenHook
	s.mu.Unlock()
	if hook != nil {
		if err := hook(ctx); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch, ok := s.channels[channelID]; !ok || ch.gone {
		return nil, fmt.Errorf("channel %s not found", channelID)
	}
	src := &fakeSource{frames: make(chan app.AudioFrame, 256)}
	s.sources = append(s.sources, src)
	return src, nil
}

func (s *fakeSession) Speaker(context.Context, string) (app.AudioSink, error) {
	if !s.pbx.speaker {
		return nil, errors.New("fake pbx has no speaker")
	}
	return &fakeSink{s: s}, nil
}

// fakeSink plays audio in (bubble) real time and records when.
type fakeSink struct{ s *fakeSession }

func (k *fakeSink) Play(ctx context.Context, samples []int16, rate int) error {
	start := time.Now()
	t := time.NewTimer(time.Duration(len(samples)) * time.Second / time.Duration(rate))
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return ctx.Err()
	}
	k.s.mu.Lock()
	k.s.plays = append(k.s.plays, played{start: start, end: time.Now(), samples: len(samples)})
	k.s.mu.Unlock()
	return nil
}

func (k *fakeSink) Close() error { return nil }

// rewind makes the next frames replay the scene from frame n (a recording played again).
func (s *fakeSession) rewind(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.frameN = n
}

func (s *fakeSession) frame() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.frameN
}

func (s *fakeSession) phrases() []played {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.plays)
}

func (s *fakeSession) StartRecording(_ context.Context, target app.RecordTarget, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.recordings[name]; dup {
		return fmt.Errorf("recording %s exists", name)
	}
	s.recordings[name] = &fakeRecording{target: target, started: time.Now(), live: true}
	return nil
}

func (s *fakeSession) StopRecording(_ context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.recordings[name]
	if !ok || !r.live {
		return fmt.Errorf("recording %s not live", name)
	}
	r.live, r.finished = false, true
	s.sendLocked(app.PBXEvent{Kind: app.PBXRecordingFinished, Name: name, Duration: time.Since(r.started).Truncate(time.Second)})
	return nil
}

// FetchRecording writes a WAV header and a second of silence per second recorded.
func (s *fakeSession) FetchRecording(_ context.Context, name string, w io.Writer) (int64, error) {
	s.mu.Lock()
	r, ok := s.recordings[name]
	s.mu.Unlock()
	if !ok || !r.finished {
		return 0, fmt.Errorf("recording %s not stored", name)
	}
	s.mu.Lock()
	r.fetched = true
	s.mu.Unlock()
	body := make([]byte, 44+16000)
	copy(body, "RIFF")
	n, err := w.Write(body)
	return int64(n), err
}

func (s *fakeSession) Close(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closeCount++
	if s.closed {
		return nil
	}
	for _, t := range s.timers {
		t.Stop()
	}
	for _, ch := range s.channels {
		ch.gone = true
	}
	for _, b := range s.bridges {
		b.destroyed, b.members = true, nil
	}
	for _, src := range s.sources {
		_ = src.Close()
	}
	s.closed = true
	close(s.events)
	return nil
}

// Test-side controls.

func (s *fakeSession) FarRing(ch string) {
	s.send(app.PBXEvent{Kind: app.PBXRinging, ChannelID: ch})
}

func (s *fakeSession) FarAnswer(ch string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channels[ch]
	if !ok || c.gone {
		return
	}
	c.up = true
	s.sendLocked(app.PBXEvent{Kind: app.PBXAnswered, ChannelID: ch})
}

// FarHangup is the far end of ch hanging up (or failing) with cause and reason.
func (s *fakeSession) FarHangup(ch string, cause int, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channels[ch]
	if !ok || c.gone {
		return
	}
	c.gone = true
	s.leaveBridges(ch)
	s.sendLocked(app.PBXEvent{Kind: app.PBXHangup, ChannelID: ch, Cause: cause, Reason: reason})
}

// Hear feeds one frame the scripted analyzer turns into label, detection and confidence.
func (s *fakeSession) Hear(label string, detection string, conf float64) {
	s.mu.Lock()
	srcs := slices.Clone(s.sources)
	s.mu.Unlock()
	s.mu.Lock()
	s.frameN++
	n := s.frameN
	s.mu.Unlock()
	for _, src := range srcs {
		src.push(encodeFrame(label, detection, conf, n))
	}
}

func (s *fakeSession) channelTo(endpoint string) (*fakeChannel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range s.order {
		if c := s.channels[id]; c.endpoint == endpoint {
			cp := *c
			return &cp, true
		}
	}
	return nil, false
}

func (s *fakeSession) channelsTo(endpoint string) []fakeChannel {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []fakeChannel
	for _, id := range s.order {
		if c := s.channels[id]; c.endpoint == endpoint {
			out = append(out, *c)
		}
	}
	return out
}

// bridgeWith returns a copy of the bridge that holds ch.
func (s *fakeSession) bridgeWith(ch string) (fakeBridge, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range s.bridges {
		if slices.Contains(b.members, ch) {
			cp := *b
			cp.members = slices.Clone(b.members)
			return cp, true
		}
	}
	return fakeBridge{}, false
}

func (s *fakeSession) dtmfSent() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.dtmf)
}

func (s *fakeSession) state() (closed bool, closeCount int, liveChannels, liveBridges int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.channels {
		if !c.gone {
			liveChannels++
		}
	}
	for _, b := range s.bridges {
		if !b.destroyed {
			liveBridges++
		}
	}
	return s.closed, s.closeCount, liveChannels, liveBridges
}

func (s *fakeSession) sourcesClosed() (n, closed int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, src := range s.sources {
		n++
		if src.isClosed() {
			closed++
		}
	}
	return n, closed
}

// fakeSource is an AudioSource whose frames the test pushes.
type fakeSource struct {
	mu     sync.Mutex
	frames chan app.AudioFrame
	closed bool
}

func (f *fakeSource) Frames() <-chan app.AudioFrame { return f.frames }
func (f *fakeSource) SampleRate() int               { return 8000 }

func (f *fakeSource) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.closed {
		f.closed = true
		close(f.frames)
	}
	return nil
}

func (f *fakeSource) isClosed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closed
}

func (f *fakeSource) push(fr app.AudioFrame) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.closed {
		f.frames <- fr
	}
}

// The scripted analyzer: a frame's first samples encode what the analyzer "hears".

var labels = []string{app.AudioSilence, app.AudioRinging, app.AudioBusy, app.AudioDTMF, app.AudioMusic, app.AudioSpeech, app.AudioUnknown}
var detections = []string{"", app.DetectHold, app.DetectHuman, app.DetectHoldResumed}

// encodeFrame builds frame n of a synthetic scene: speech frames are a voice (harmonics of
// 200 Hz in 200 ms syllables with short dips, which the VAD hears as speech), music frames a
// steady chord, anything else silence. The first samples carry the scripted labels.
func encodeFrame(label, detection string, conf float64, n int) app.AudioFrame {
	samples := make([]int16, 160)
	switch label {
	case app.AudioSpeech:
		// Syllables of 80 ms with irregular loudness and an occasional dip, so two stretches
		// of this voice have different envelopes unless the same frames are replayed.
		h := uint32(n/4) * 2654435761
		if (h>>28)%4 != 0 {
			amp := 800 + float64((h>>12)%2500)
			for i := range samples {
				t := float64(n*160+i) / 8000
				var v float64
				for k := 2; k <= 12; k++ {
					v += math.Sin(2*math.Pi*200*float64(k)*t) / math.Sqrt(float64(k))
				}
				samples[i] = int16(amp * v)
			}
		}
	case app.AudioMusic:
		for i := range samples {
			t := float64(n*160+i) / 8000
			samples[i] = int16(3000 * (math.Sin(2*math.Pi*262*t) + math.Sin(2*math.Pi*330*t) + math.Sin(2*math.Pi*392*t)) / 3)
		}
	}
	samples[0] = int16(slices.Index(labels, label))
	samples[1] = int16(slices.Index(detections, detection))
	samples[2] = int16(conf * 1000)
	return app.AudioFrame{Samples: samples}
}

// hearFor plays frames of label for d, one every 20 ms of bubble time, the first carrying
// detection.
func (e *env) hearFor(s *fakeSession, label, detection string, conf float64, d time.Duration) {
	for i := range int(d / (20 * time.Millisecond)) {
		if i == 0 {
			s.Hear(label, detection, conf)
		} else {
			s.Hear(label, "", conf)
		}
		e.sleep(20 * time.Millisecond)
	}
}

// person is a live agent as the acoustic layer hears one without a voice of ours: a
// greeting (the classifier's candidate on its first frame), then quiet while they wait.
func (e *env) person(s *fakeSession, conf float64) {
	e.hearFor(s, app.AudioSpeech, app.DetectHuman, conf, 2*time.Second)
	e.hearFor(s, app.AudioSilence, "", conf, 4*time.Second)
}

type scriptedAnalyzer struct{ frames int }

func (a *scriptedAnalyzer) Process(frame []int16) app.Analysis {
	a.frames++
	label := labels[frame[0]]
	conf := float64(frame[2]) / 1000
	out := app.Analysis{Label: label, Confidence: conf, Features: app.AudioFeatures{EnergyDB: -20}}
	if d := detections[frame[1]]; d != "" {
		audio := label
		out.Detections = []app.Detection{{Kind: d, Confidence: conf, AudioType: audio, Onset: time.Duration(a.frames) * 20 * time.Millisecond}}
	}
	return out
}

// ProcessLost: a lost frame tells the script nothing.
func (a *scriptedAnalyzer) ProcessLost() app.Analysis {
	a.frames++
	return app.Analysis{}
}

func scriptedAnalyzerFactory(int) (app.AudioAnalyzer, error) { return &scriptedAnalyzer{}, nil }
