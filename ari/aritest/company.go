package aritest

import (
	"context"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/holdslayer/holdslayer/app/clock"
)

// Speech detection on what a company hears: frames above speechRMS count as speech; an
// utterance is at least SpeechMinDuration of speech, ended by utteranceGap of quiet.
const (
	speechRMS         = 330.0 // about -40 dBFS
	SpeechMinDuration = 600 * time.Millisecond
	utteranceGap      = 400 * time.Millisecond
	// wordMinDuration is the least speech in an utterance a menu tries to recognise as one
	// of its words ("billing" is about half a second); maxCapture bounds what is kept of one.
	wordMinDuration = 200 * time.Millisecond
	maxCapture      = 10 * 8000
	// wordGap is the quiet that ends a spoken answer to a menu: longer than utteranceGap, as
	// a speech IVR's end-of-speech timeout is, so a caller whose audio stalls for a moment
	// (a late RTP burst, a jitter buffer running dry) is not cut off in the middle of a word.
	wordGap = time.Second
)

// voice is a far end's audio output (prompts queued, music looping) and speech detector for
// what it hears. Its methods are called by the media loop under Server.mu and by the script
// goroutine, so it has its own lock.
type voice struct {
	mu       sync.Mutex
	queue    []int16
	done     chan struct{} // closed when the queue drains
	music    *loop
	speechMs time.Duration
	quietMs  time.Duration
	spoke    bool
	speech   chan struct{} // an utterance reached SpeechMinDuration
	uttered  chan struct{} // an utterance ended
	digits   chan byte
	// capture is the audio of the utterance being heard; words receives each finished one
	// with at least wordMinDuration of speech (the latest wins when nobody is listening).
	capture   []int16
	capSpeech time.Duration
	capQuiet  time.Duration
	words     chan []int16
}

func newVoice() *voice {
	return &voice{speech: make(chan struct{}, 1), uttered: make(chan struct{}, 1), digits: make(chan byte, 32),
		words: make(chan []int16, 1)}
}

func (v *voice) read() []int16 {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.queue) > 0 {
		f := silence()
		n := copy(f, v.queue)
		v.queue = v.queue[n:]
		if len(v.queue) == 0 && v.done != nil {
			close(v.done)
			v.done = nil
		}
		return f
	}
	if v.music != nil {
		return v.music.next()
	}
	return nil
}

func rms(f []int16) float64 {
	if len(f) == 0 {
		return 0
	}
	var sum float64
	for _, x := range f {
		sum += float64(x) * float64(x)
	}
	return math.Sqrt(sum / float64(len(f)))
}

func (v *voice) hear(f []int16) {
	v.mu.Lock()
	defer v.mu.Unlock()
	loud := f != nil && rms(f) > speechRMS
	v.captureWord(f, loud)
	if loud {
		v.speechMs += frameDur
		v.quietMs = 0
		if v.speechMs >= SpeechMinDuration && !v.spoke {
			v.spoke = true
			select {
			case v.speech <- struct{}{}:
			default:
			}
		}
		return
	}
	v.quietMs += frameDur
	if v.quietMs >= utteranceGap {
		if v.spoke {
			select {
			case v.uttered <- struct{}{}:
			default:
			}
		}
		v.spoke = false
		v.speechMs = 0
	}
}

// captureWord keeps the audio of what the caller is saying for a spoken menu, from the first
// loud frame to wordGap of quiet. A tick when nothing arrived (nil: the caller's RTP is late)
// adds nothing to the clip, so a stall does not insert silence into the word, but counts
// towards the gap like quiet. Finished clips with at least wordMinDuration of speech go to
// words (the latest wins when nobody is listening).
func (v *voice) captureWord(f []int16, loud bool) {
	if loud {
		v.capSpeech += frameDur
		v.capQuiet = 0
	} else if len(v.capture) > 0 || v.capSpeech > 0 {
		v.capQuiet += frameDur
	}
	if f != nil && (loud || len(v.capture) > 0) && len(v.capture) < maxCapture {
		v.capture = append(v.capture, f...)
	}
	if v.capQuiet < wordGap {
		return
	}
	if v.capSpeech >= wordMinDuration {
		clip := v.capture
		select {
		case <-v.words:
		default:
		}
		v.words <- clip
	}
	v.capture, v.capSpeech, v.capQuiet = nil, 0, 0
}

func (v *voice) digit(d byte) {
	select {
	case v.digits <- d:
	default:
	}
}

// start queues samples and returns a channel closed when they have been played.
func (v *voice) start(smp []int16) <-chan struct{} {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.done != nil {
		close(v.done)
	}
	done := make(chan struct{})
	if len(smp) == 0 {
		close(done)
		v.queue, v.done = nil, nil
		return done
	}
	v.queue = append([]int16(nil), smp...)
	v.done = done
	return done
}

func (v *voice) cut() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.queue = nil
	if v.done != nil {
		close(v.done)
		v.done = nil
	}
}

func (v *voice) setMusic(l *loop) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.music = l
}

func (v *voice) drainInput() {
	for {
		select {
		case <-v.digits:
		case <-v.speech:
		case <-v.uttered:
		case <-v.words:
		default:
			return
		}
	}
}

// company is a scripted company on the far end of a call.
type company struct {
	*voice
	sc     *Scenario
	ctx    context.Context
	cancel context.CancelFunc
}

func newCompany(sc *Scenario) *company {
	ctx, cancel := context.WithCancel(context.Background())
	return &company{voice: newVoice(), sc: sc, ctx: ctx, cancel: cancel}
}

func (co *company) stop() { co.cancel() }

func (co *company) sleep(s *Server, d time.Duration) bool {
	return clock.Sleep(co.ctx, s.clk, d) == nil
}

// dial rings, then answers (or fails) and runs the script.
func (co *company) dial(s *Server, c *channel) {
	s.farRinging(c)
	if !co.sleep(s, co.sc.AnswerAfter.D()) {
		return
	}
	switch co.sc.Result {
	case "busy":
		s.farFail(c, 17)
		return
	case "congestion":
		s.farFail(c, 34)
		return
	case "unallocated":
		s.farFail(c, 1)
		return
	case "no_answer":
		<-co.ctx.Done() // the originate timeout ends it
		return
	}
	s.farAnswer(c)
	co.run(s, c)
}

func (co *company) indexOf(id string) int {
	for i, st := range co.sc.Steps {
		if st.ID == id {
			return i
		}
	}
	return -1
}

func (co *company) run(s *Server, c *channel) {
	steps := co.sc.Steps
	i := 0
	for i >= 0 && i < len(steps) {
		if co.ctx.Err() != nil {
			return
		}
		st := steps[i]
		s.mu.Lock()
		hangAt := s.faults.HangupAtStep
		s.mu.Unlock()
		if hangAt != "" && st.ID == hangAt {
			s.farHangup(c, 16)
			return
		}
		next := ""
		switch {
		case st.Hangup:
			s.farHangup(c, 16)
			return
		case len(st.Play) > 0:
			if !co.play(concat(st.Play)) {
				return
			}
		case st.Pause > 0:
			if !co.sleep(s, st.Pause.D()) {
				return
			}
		case st.Menu != nil:
			var ok bool
			if next, ok = co.menu(s, st.Menu); !ok {
				return
			}
			if next == "" {
				s.farHangup(c, 16)
				return
			}
		case st.Hold != nil:
			if !co.hold(s, st.Hold) {
				return
			}
			if st.Hold.HangupAfter {
				s.farHangup(c, 16)
				return
			}
		case st.Agent != nil:
			if !co.agent(s, st.Agent) {
				return
			}
			s.farHangup(c, 16)
			return
		}
		if next == "" {
			next = st.Goto
		}
		switch {
		case next == "hangup":
			s.farHangup(c, 16)
			return
		case next != "":
			i = co.indexOf(next)
		default:
			i++
		}
	}
	s.farHangup(c, 16)
}

// play plays samples to the end; false when the call ended.
func (co *company) play(smp []int16) bool {
	done := co.start(smp)
	select {
	case <-done:
		return true
	case <-co.ctx.Done():
		return false
	}
}

// menu runs a menu; it returns the next step id ("" = hang up) and false if the call ended.
func (co *company) menu(s *Server, m *Menu) (string, bool) {
	retries := 2
	if m.Retries != nil {
		retries = *m.Retries
	}
	timeout := m.Timeout.D()
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	var words <-chan []int16
	if len(m.Speech) > 0 {
		words = co.words
	}
	for attempt := 0; attempt <= retries; attempt++ {
		// Keys and words from before this prompt (a stalled caller's late fragment, speech
		// during the "invalid option" message) do not answer it.
		co.drainInput()
		done := co.start(concat(m.Prompt))
		t := s.clk.NewTimer(time.Hour)
		t.Stop()
		waiting := false
		wrong := false
	wait:
		for {
			var tc <-chan time.Time
			if waiting {
				tc = t.C()
			}
			select {
			case <-co.ctx.Done():
				t.Stop()
				return "", false
			case <-done:
				done = nil
				waiting = true
				t.Reset(timeout)
			case d := <-co.digits:
				co.cut() // keys barge in, like BackGround()
				t.Stop()
				if next, ok := m.Options[string(d)]; ok {
					return next, true
				}
				wrong = true
				break wait
			case clip := <-words:
				// Speech barges in too; a word the menu does not know is a wrong answer.
				co.cut()
				t.Stop()
				w, best, second := m.matchWord(clip)
				s.log.Debug("menu heard a word", "word", w, "cost", best, "second", second,
					"seconds", float64(len(clip))/8000)
				if w != "" {
					return m.Speech[w], true
				}
				wrong = true
				break wait
			case <-tc:
				break wait
			}
		}
		if attempt == retries {
			break
		}
		if wrong {
			if !co.play(concat(m.Invalid)) {
				return "", false
			}
		} else if len(m.NoInput) > 0 {
			if !co.play(concat(m.NoInput)) {
				return "", false
			}
		}
	}
	return m.OnFail, true
}

// hold plays music for the hold time, with periodic announcements.
func (co *company) hold(s *Server, h *Hold) bool {
	l := &loop{samples: s.sounds.moh(h.Music)}
	co.setMusic(l)
	defer co.setMusic(nil)
	end := s.clk.Now().Add(h.Duration.D())
	every := h.AnnounceEvery.D()
	for {
		left := end.Sub(s.clk.Now())
		if left <= 0 {
			return true
		}
		wait := left
		if every > 0 && every < wait && len(h.Announce) > 0 {
			wait = every
		}
		if !co.sleep(s, wait) {
			return false
		}
		if every > 0 && len(h.Announce) > 0 && end.Sub(s.clk.Now()) > 0 {
			co.setMusic(nil)
			if !co.play(concat(h.Announce)) {
				return false
			}
			co.setMusic(l)
		}
	}
}

// agent greets, then answers each caller utterance with the next reply.
func (co *company) agent(s *Server, a *Agent) bool {
	co.drainInput()
	if !co.play(a.greeting) {
		return false
	}
	patience := a.Patience.D()
	if patience <= 0 {
		patience = 20 * time.Second
	}
	nudged := false
	for i := 0; ; {
		t := s.clk.NewTimer(patience)
		select {
		case <-co.ctx.Done():
			t.Stop()
			return false
		case <-co.uttered:
			t.Stop()
			nudged = false
			if i < len(a.replies) {
				if !co.play(a.replies[i]) {
					return false
				}
				i++
			}
		case <-t.C():
			if nudged {
				return true
			}
			nudged = true
			if !co.play(a.prompt) {
				return false
			}
		}
	}
}

// failingFar is a far end that never answers: a number nobody has (cause 1) and the like.
type failingFar struct {
	cause int
	once  sync.Once
}

func (f *failingFar) dial(s *Server, c *channel) { s.farFail(c, f.cause) }
func (f *failingFar) read() []int16              { return nil }
func (f *failingFar) hear([]int16)               {}
func (f *failingFar) digit(byte)                 {}
func (f *failingFar) stop()                      {}

// noContext marks a Local channel whose context does not exist: both halves just die.
type noContext struct{ failingFar }

// normalizeNumber strips everything but digits.
func normalizeNumber(n string) string {
	var b strings.Builder
	for _, r := range n {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// farForNumber finds the company for a dialled number (+1800..., 1800..., bare digits).
func (s *Server) farForNumber(num string) farEnd {
	if sc := s.opts.Scenarios[num]; sc != nil {
		return newCompany(sc)
	}
	want := normalizeNumber(num)
	if want == "" {
		return nil
	}
	for k, sc := range s.opts.Scenarios {
		if normalizeNumber(k) == want {
			return newCompany(sc)
		}
	}
	return nil
}

// farForLocal resolves Local/<exten>@<context>: a scenario by number (or by context name), a
// device by name, the trace dialplan's user-phone, else a missing context.
func (s *Server) farForLocal(exten, ctx string) farEnd {
	if f := s.farForNumber(exten); f != nil {
		return f
	}
	if sc := s.opts.Scenarios[ctx]; sc != nil {
		return newCompany(sc)
	}
	if d, ok := s.opts.Devices[exten]; ok {
		return newDevice(exten, d, s)
	}
	if ctx == "user-phone" {
		return newDevice("user-phone", DeviceBehavior{HangupAfter: 60 * time.Second}, s)
	}
	return &noContext{}
}
