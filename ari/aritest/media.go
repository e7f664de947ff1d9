package aritest

import (
	"time"
)

// frameSamples is one 20 ms frame at the simulation's internal rate, 8 kHz.
const (
	frameSamples = 160
	frameDur     = 20 * time.Millisecond
	maxCatchUp   = 25 // frames processed at once when the loop falls behind
)

// loop plays samples over and over (music on hold).
type loop struct {
	samples []int16
	pos     int
}

func (l *loop) next() []int16 {
	f := make([]int16, frameSamples)
	if len(l.samples) == 0 {
		return f
	}
	for i := range f {
		f[i] = l.samples[l.pos]
		l.pos = (l.pos + 1) % len(l.samples)
	}
	return f
}

// mediaLoop paces all audio by the clock: every 20 ms of clock time one frame moves through
// every channel, bridge, snoop, recording and RTP socket. When the process falls behind it
// catches up (bounded), so packet counts track clock time.
func (s *Server) mediaLoop() {
	defer s.wg.Done()
	t := s.clk.NewTicker(frameDur)
	defer t.Stop()
	start := s.clk.Now()
	var done int64
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C():
		}
		due := int64(s.clk.Now().Sub(start) / frameDur)
		if due-done > maxCatchUp {
			done = due - maxCatchUp
		}
		for ; done < due; done++ {
			s.mu.Lock()
			s.tickLocked()
			s.mu.Unlock()
		}
	}
}

func mix(dst, src []int16) []int16 {
	if src == nil {
		return dst
	}
	if dst == nil {
		return append([]int16(nil), src...)
	}
	for i := range dst {
		if i < len(src) {
			v := int32(dst[i]) + int32(src[i])
			if v > 32767 {
				v = 32767
			} else if v < -32768 {
				v = -32768
			}
			dst[i] = int16(v)
		}
	}
	return dst
}

func silence() []int16 { return make([]int16, frameSamples) }

// tickLocked moves one 20 ms frame through every channel, then plays out any music-on-hold
// burst (see mohburst.go) as extra frames at once.
func (s *Server) tickLocked() {
	chans := s.sortedChannels()
	whisperIn, whisperOut := s.takeWhispersLocked(chans)
	// 1. what every channel reads from its far end (plus whispers injected "in")
	for _, c := range chans {
		c.readNow, c.gap = nil, false
		switch c.kind {
		case kindLocal1, kindPJSIP:
			if f := farOf(c); f != nil && c.state == "Up" {
				c.readNow, c.gap = s.farReadLocked(c, f)
			}
		case kindUnicast:
			c.readNow = c.ext.read()
		case kindWebSocket:
			c.readNow = c.wsm.read()
		}
		if w := whisperIn[c]; w != nil {
			c.readNow = mix(c.readNow, w)
		}
	}
	// 2. snoops carry what their target reads (spy=in) and/or was written (spy=out); always
	// (except during a music-on-hold start gap on the target)
	for _, c := range chans {
		if c.kind != kindSnoop {
			continue
		}
		t := c.snoop.target
		var f []int16
		if c.snoop.spy == "in" || c.snoop.spy == "both" {
			f = mix(f, t.readNow)
		}
		if c.snoop.spy == "out" || c.snoop.spy == "both" {
			f = mix(f, t.lastWrite)
		}
		if f == nil && t.gap {
			c.gap = true
		} else if f == nil {
			f = silence()
		}
		c.readNow = f
	}
	// 3. bridges mix members' audio
	writes := map[*channel][]int16{}
	gaps := map[*channel]bool{}
	for _, b := range s.bridges {
		var extra []int16
		if b.moh != nil {
			extra = b.moh.next()
		}
		extra = mix(extra, s.advancePlaysLocked(&b.plays))
		var all []int16
		gapping := false
		for _, m := range b.members {
			all = mix(all, m.readNow)
			gapping = gapping || m.gap
		}
		all = mix(all, extra)
		if all == nil && s.opts.TransmitSilence && !gapping {
			all = silence()
		}
		for _, r := range b.recordings {
			if all != nil {
				r.samples = append(r.samples, all...)
			}
		}
		for _, m := range b.members {
			var f []int16
			otherGap := false
			if b.typ != "holding" {
				for _, o := range b.members {
					if o != m {
						f = mix(f, o.readNow)
						otherGap = otherGap || o.gap
					}
				}
			}
			f = mix(f, extra)
			if f == nil && otherGap {
				gaps[m] = true // nothing leaves, not even silence, and no timestamp passes
			} else if f == nil && (len(b.members) > 2 || s.opts.TransmitSilence) {
				f = silence() // softmix always produces; simple two-party bridges only with transmit_silence
			}
			writes[m] = f
		}
	}
	// 4. channel-level music and playbacks (and whispers injected "out"), then delivery to the
	// far ends, RTP sockets and media WebSockets
	for _, c := range chans {
		f := writes[c]
		if c.moh != nil {
			f = mix(f, c.moh.next())
		}
		f = mix(f, s.advancePlaysLocked(&c.plays))
		if w := whisperOut[c]; w != nil {
			f = mix(f, w)
		}
		c.lastWrite = f
		if c.snoop != nil && c.snoop.whisper != "none" && f != nil {
			c.snoop.whisperPending = f // injected into the target on the next frame
		}
		switch c.kind {
		case kindLocal1, kindPJSIP:
			if fe := farOf(c); fe != nil && c.state == "Up" {
				fe.hear(f)
			}
		case kindUnicast:
			if f != nil || !gaps[c] {
				c.ext.send(f, s.faults)
			}
		case kindWebSocket:
			c.wsm.send(f)
		}
		for _, r := range c.recordings {
			if c.readNow != nil {
				r.samples = append(r.samples, c.readNow...)
			} else if s.opts.TransmitSilence || c.kind == kindSnoop {
				r.samples = append(r.samples, silence()...)
			}
		}
	}
	s.burstLocked(chans)
}

// takeWhispersLocked collects what the service wrote into whisper snoops last frame: audio
// for direction "out" is heard by the snooped channel's far end, "in" by whatever hears that
// channel (its bridge), as Asterisk's audiohook whisper does.
func (s *Server) takeWhispersLocked(chans []*channel) (in, out map[*channel][]int16) {
	for _, c := range chans {
		if c.snoop == nil || c.snoop.whisperPending == nil {
			continue
		}
		w, t := c.snoop.whisperPending, c.snoop.target
		c.snoop.whisperPending = nil
		if t.dead {
			continue
		}
		if c.snoop.whisper == "in" || c.snoop.whisper == "both" {
			if in == nil {
				in = map[*channel][]int16{}
			}
			in[t] = mix(in[t], w)
		}
		if c.snoop.whisper == "out" || c.snoop.whisper == "both" {
			if out == nil {
				out = map[*channel][]int16{}
			}
			out[t] = mix(out[t], w)
		}
	}
	return in, out
}
