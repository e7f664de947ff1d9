package ari

// Jitter buffer defaults: how many frames may wait for playout before the oldest are dropped
// (a music-on-hold start bursts ~24 packets at once), and the base of extended sequence numbers.
const (
	DefaultJitterDepth = 50
	seqBase            = 1 << 32
)

// JitterStats counts what the buffer did with the packet stream.
type JitterStats struct {
	Received  uint64 // packets accepted into the buffer
	Late      uint64 // arrived after their slot was played or given up
	Duplicate uint64
	Lost      uint64 // slots that never arrived and were played as silence
	Overflow  uint64 // dropped because the buffer was full
	Resets    uint64 // new SSRC or a sequence jump
}

// jitterBuffer orders RTP payloads by sequence number for a clock-driven playout: pop is called
// once per 20 ms tick and either returns the next frame in sequence or asks for silence. A missing
// frame is waited for one tick (that tick's silence stands in for it) before it counts as lost,
// so one packet of reordering costs nothing. Not safe for concurrent use.
type jitterBuffer struct {
	depth   int
	started bool
	ssrc    uint32
	next    uint64 // extended sequence number of the next frame to play
	waited  bool   // the previous tick already played silence for next
	frames  map[uint64][]int16
	stats   JitterStats
}

func newJitterBuffer(depth int) *jitterBuffer {
	if depth <= 0 {
		depth = DefaultJitterDepth
	}
	return &jitterBuffer{depth: depth, frames: make(map[uint64][]int16, depth)}
}

func (j *jitterBuffer) reset(ssrc uint32, seq uint16) {
	j.started = true
	j.ssrc = ssrc
	j.next = seqBase + uint64(seq)
	j.waited = false
	clear(j.frames)
}

// push files one decoded payload under its sequence number.
func (j *jitterBuffer) push(ssrc uint32, seq uint16, samples []int16) {
	if !j.started || ssrc != j.ssrc {
		if j.started {
			j.stats.Resets++
		}
		j.reset(ssrc, seq)
	}
	ext := uint64(int64(j.next) + int64(int16(seq-uint16(j.next))))
	switch {
	case ext < j.next:
		j.stats.Late++
		return
	case ext-j.next > uint64(4*j.depth):
		// Far ahead of anything plausible: the sender restarted its sequence.
		j.stats.Resets++
		j.reset(ssrc, seq)
		ext = j.next
	}
	if _, dup := j.frames[ext]; dup {
		j.stats.Duplicate++
		return
	}
	j.frames[ext] = samples
	j.stats.Received++
	for len(j.frames) > j.depth {
		if _, ok := j.frames[j.next]; ok {
			delete(j.frames, j.next)
			j.stats.Overflow++
		} else {
			j.stats.Lost++
		}
		j.next++
		j.waited = false
	}
}

// pop returns the frame for this tick, or nil when the tick must be silence.
func (j *jitterBuffer) pop() []int16 {
	for {
		if len(j.frames) == 0 {
			// Nothing buffered: the far side is silent (a bridge sends nothing), not lossy.
			j.waited = false
			return nil
		}
		if s, ok := j.frames[j.next]; ok {
			delete(j.frames, j.next)
			j.next++
			j.waited = false
			return s
		}
		if !j.waited {
			// Later frames are here but next is not: play silence for it now and give it
			// until the next tick to turn up.
			j.waited = true
			return nil
		}
		// It did not: the silence already played was its slot.
		j.stats.Lost++
		j.next++
		j.waited = false
		if _, ok := j.frames[j.next]; ok {
			continue
		}
		j.waited = true
		return nil
	}
}
