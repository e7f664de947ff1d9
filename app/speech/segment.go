package speech

import (
	"fmt"
	"time"
)

// Segmenter defaults.
const (
	// DefaultPreRoll is audio kept from before the onset so the first syllable is not clipped.
	DefaultPreRoll = 300 * time.Millisecond
	// DefaultMaxUtterance cuts long speech (a looping announcement) so STT sees bounded pieces.
	DefaultMaxUtterance = 15 * time.Second
	// DefaultMinUtterance drops blips (a click, a cough) too short to be worth transcribing.
	DefaultMinUtterance = 250 * time.Millisecond
)

// postRoll is the audio kept after the last voiced frame of an utterance.
const postRoll = 200 * time.Millisecond

// SegmenterConfig tunes utterance cutting; zero fields take the defaults.
type SegmenterConfig struct {
	VAD       VADConfig
	PreRoll   time.Duration
	MaxLength time.Duration
	MinLength time.Duration
}

// Utterance is one stretch of speech cut for STT. Start and End are stream offsets (from
// the first frame pushed), including the pre-roll.
type Utterance struct {
	Samples []int16
	Rate    int
	Start   time.Duration
	End     time.Duration
	// Truncated is true when MaxLength cut the speech; the next utterance continues it.
	Truncated bool
}

// Duration is the utterance's length.
func (u Utterance) Duration() time.Duration { return u.End - u.Start }

// Segmenter runs a VAD over the listen stream and cuts utterances with pre-roll and a
// maximum length. It owns its buffers: frames are copied, and each Utterance gets its own
// slice, so per frame it does not allocate.
type Segmenter struct {
	vad     *VAD
	rate    int
	n       int
	cfg     SegmenterConfig
	pre     []int16 // ring of the last PreRoll of audio
	prePos  int
	preLen  int
	buf     []int16 // current utterance
	start   time.Duration
	active  bool
	frameNo int64
}

// NewSegmenter returns a segmenter for 20 ms frames at rate (8000 or 16000 Hz).
func NewSegmenter(rate int, cfg SegmenterConfig) (*Segmenter, error) {
	v, err := NewVAD(rate, cfg.VAD)
	if err != nil {
		return nil, fmt.Errorf("new segmenter: %w", err)
	}
	if cfg.PreRoll <= 0 {
		cfg.PreRoll = DefaultPreRoll
	}
	if cfg.MaxLength <= 0 {
		cfg.MaxLength = DefaultMaxUtterance
	}
	if cfg.MinLength <= 0 {
		cfg.MinLength = DefaultMinUtterance
	}
	n := v.FrameSamples()
	preFrames := int((cfg.PreRoll + FrameDuration - 1) / FrameDuration)
	maxSamples := int(cfg.MaxLength/FrameDuration)*n + preFrames*n
	return &Segmenter{
		vad:  v,
		rate: rate,
		n:    n,
		cfg:  cfg,
		pre:  make([]int16, preFrames*n),
		buf:  make([]int16, 0, maxSamples),
	}, nil
}

// VAD exposes the detector, e.g. for its Features.
func (s *Segmenter) VAD() *VAD { return s.vad }

// Push feeds one 20 ms frame. It returns the VAD event of this frame (onset/offset for the
// detectors) and, when an utterance was completed by an offset or cut at MaxLength, that
// utterance with ok true.
func (s *Segmenter) Push(frame []int16) (ev VADEvent, utt Utterance, ok bool) {
	ev = s.vad.Push(frame)
	frameStart := time.Duration(s.frameNo) * FrameDuration
	s.frameNo++
	frame = fitFrame(frame, s.n)

	switch ev.Kind {
	case VADOnset:
		s.active = true
		s.buf = s.buf[:0]
		// The onset frame may lie a few frames back; pre-roll covers it.
		s.start = frameStart - time.Duration(s.preLen/s.n)*FrameDuration
		for i := 0; i < s.preLen; i++ {
			s.buf = append(s.buf, s.pre[(s.prePos-s.preLen+i+len(s.pre))%len(s.pre)])
		}
	}
	s.remember(frame)
	if !s.active {
		return ev, Utterance{}, false
	}
	s.buf = append(s.buf, frame...)
	for i := len(frame); i < s.n; i++ { // pad a short frame with silence
		s.buf = append(s.buf, 0)
	}
	end := frameStart + FrameDuration
	if ev.Kind == VADOffset {
		s.active = false
		// Keep a short tail after the last voiced frame, not the whole hangover.
		if tail := ev.At + postRoll; tail < end && tail > s.start {
			keep := int((tail-s.start)/FrameDuration) * s.n
			if keep < len(s.buf) {
				s.buf = s.buf[:keep]
				end = s.start + time.Duration(keep/s.n)*FrameDuration
			}
		}
		return ev, s.cut(end, false), s.long(end)
	}
	if end-s.start >= s.cfg.MaxLength+time.Duration(len(s.pre)/s.n)*FrameDuration || len(s.buf)+s.n > cap(s.buf) {
		u := s.cut(end, true)
		s.buf = s.buf[:0]
		s.start = end
		return ev, u, true
	}
	return ev, Utterance{}, false
}

// Flush returns the speech in progress, if any, e.g. when the listen stream ends.
func (s *Segmenter) Flush() (Utterance, bool) {
	if !s.active || len(s.buf) == 0 {
		return Utterance{}, false
	}
	end := s.start + time.Duration(len(s.buf)/s.n)*FrameDuration
	s.active = false
	return s.cut(end, false), s.long(end)
}

func (s *Segmenter) long(end time.Duration) bool { return end-s.start >= s.cfg.MinLength }

func (s *Segmenter) cut(end time.Duration, truncated bool) Utterance {
	return Utterance{
		Samples:   append([]int16(nil), s.buf...),
		Rate:      s.rate,
		Start:     s.start,
		End:       end,
		Truncated: truncated,
	}
}

func (s *Segmenter) remember(frame []int16) {
	if len(s.pre) == 0 {
		return
	}
	for i := 0; i < s.n; i++ {
		var x int16
		if i < len(frame) {
			x = frame[i]
		}
		s.pre[s.prePos] = x
		s.prePos = (s.prePos + 1) % len(s.pre)
	}
	s.preLen = min(s.preLen+s.n, len(s.pre))
}

// fitFrame truncates an over-long frame; short frames are handled by the caller.
func fitFrame(frame []int16, n int) []int16 {
	if len(frame) > n {
		return frame[:n]
	}
	return frame
}
