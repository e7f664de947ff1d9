package classifier

import "time"

// Smoother turns noisy frame labels into segments: a new label must last
// MinFrames frames before it opens a segment, and the segment is then
// backdated to the first of those frames. DTMF needs only dtmfMinFrames.
type Smoother struct {
	MinFrames int
	// Forget: closed segments are only returned by Push and Force, not kept
	// for Segments (see Config.Live).
	Forget bool

	cur        Segment // open segment (Label "" before the first frame)
	confSum    float64
	confN      int
	cand       Label
	candStart  time.Duration
	candN      int
	candConf   float64
	closed     []Segment
	digits     [32]byte
	nDigits    int
	lastClosed Segment
}

const dtmfMinFrames = 2

// NewSmoother returns a smoother needing minFrames frames to switch label.
func NewSmoother(minFrames int) *Smoother {
	return &Smoother{MinFrames: minFrames, closed: make([]Segment, 0, 256)}
}

// Reset drops all segments.
func (s *Smoother) Reset() {
	*s = Smoother{MinFrames: s.MinFrames, Forget: s.Forget, closed: s.closed[:0]}
}

// Current returns the label of the open segment and its mean confidence.
func (s *Smoother) Current() (Label, float64) {
	if s.confN == 0 {
		return s.cur.Label, 0
	}
	return s.cur.Label, s.confSum / float64(s.confN)
}

// CurrentStart returns when the open segment began.
func (s *Smoother) CurrentStart() time.Duration { return s.cur.Start }

// Push adds the frame [at, at+FrameDuration) with a label. It returns a
// segment that just closed, or nil.
func (s *Smoother) Push(l Label, conf float64, at time.Duration, kind string, digit byte) *Segment {
	end := at + FrameDuration
	if s.cur.Label == "" {
		s.cur = Segment{Start: at, End: end, Label: l, ToneKind: kind}
		s.confSum, s.confN = conf, 1
		return nil
	}
	if l == s.cur.Label {
		s.cand, s.candN = "", 0
		s.extend(end, conf, kind, digit)
		return nil
	}
	if l != s.cand {
		s.cand, s.candStart, s.candN, s.candConf = l, at, 0, 0
	}
	s.candN++
	s.candConf += conf
	need := s.MinFrames
	if l == DTMF {
		need = dtmfMinFrames
	}
	if s.candN < need {
		s.cur.End = end
		return nil
	}
	closed := s.switchTo(l, s.candStart, end, s.candConf/float64(s.candN), kind)
	s.cand, s.candN = "", 0
	if digit != 0 {
		s.addDigit(digit)
	}
	return closed
}

// Force switches to label l from since (backdated), e.g. when a tone
// cadence is recognised after it began. It returns the segment it closed.
func (s *Smoother) Force(l Label, conf float64, since, now time.Duration, kind string) *Segment {
	end := now + FrameDuration
	if s.cur.Label == l {
		s.cur.ToneKind = kind
		if since < s.cur.Start {
			s.cur.Start = since
		}
		return nil
	}
	if since <= s.cur.Start || s.cur.Label == "" {
		// The whole open segment was really this tone.
		start := s.cur.Start
		if s.cur.Label == "" {
			start = since
		}
		s.cur = Segment{Start: start, End: end, Label: l, ToneKind: kind}
		s.confSum, s.confN = conf, 1
		s.nDigits = 0
		return nil
	}
	s.cand, s.candN = "", 0
	return s.switchTo(l, since, end, conf, kind)
}

func (s *Smoother) extend(end time.Duration, conf float64, kind string, digit byte) {
	s.cur.End = end
	s.confSum += conf
	s.confN++
	if kind != "" {
		s.cur.ToneKind = kind
	}
	if digit != 0 {
		s.addDigit(digit)
	}
}

func (s *Smoother) addDigit(d byte) {
	if s.nDigits < len(s.digits) {
		s.digits[s.nDigits] = d
		s.nDigits++
	}
}

func (s *Smoother) switchTo(l Label, start, end time.Duration, conf float64, kind string) *Segment {
	old := s.cur
	old.End = start
	if s.confN > 0 {
		old.Confidence = s.confSum / float64(s.confN)
	}
	if s.nDigits > 0 {
		old.Digits = string(s.digits[:s.nDigits]) // allocates only when digits were heard
	}
	s.cur = Segment{Start: start, End: end, Label: l, ToneKind: kind}
	s.confSum, s.confN, s.nDigits = conf, 1, 0
	if old.End <= old.Start {
		return nil
	}
	if !s.Forget {
		s.closed = append(s.closed, old)
	}
	s.lastClosed = old
	return &s.lastClosed
}

// Segments returns the closed segments plus the open one.
func (s *Smoother) Segments() []Segment {
	out := make([]Segment, 0, len(s.closed)+1)
	out = append(out, s.closed...)
	if s.cur.Label != "" {
		c := s.cur
		if s.confN > 0 {
			c.Confidence = s.confSum / float64(s.confN)
		}
		if s.nDigits > 0 {
			c.Digits = string(s.digits[:s.nDigits])
		}
		out = append(out, c)
	}
	return out
}
