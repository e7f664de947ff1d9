package aritest

// Music on hold in a real Asterisk does not start smoothly (trace d, README fact 5): when the
// far end starts its music there is a gap of about 50 ms with no packet at all (and no
// timestamp step), then about 24 packets arrive at once with consecutive sequence numbers and
// timestamps, and after that the stream runs at 50 a second again, ~0.45 s ahead of the clock.
// The simulation reproduces this on the far end's channel, so everything downstream
// (externalMedia RTP, media WebSockets, snoops) sees the gap and the burst.
const (
	mohGapFrames   = 2  // ~40-60 ms without packets
	mohBurstFrames = 24 // packets at once when the music arrives
)

// musician is a far end that can tell whether it is playing music on hold right now.
type musician interface{ inMusic() bool }

// inMusic reports whether the voice is playing its music (no prompt queued over it).
func (v *voice) inMusic() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.music != nil && len(v.queue) == 0
}

// farReadLocked is channel c's next frame from its far end f, with the music-on-hold start
// gap: it returns gap=true (and no frame) for the gap frames, and arms the burst after them.
func (s *Server) farReadLocked(c *channel, f farEnd) (frame []int16, gap bool) {
	if m, ok := f.(musician); ok {
		on := m.inMusic()
		if on && !c.mohOn {
			c.mohGap = mohGapFrames
		}
		if !on {
			c.mohGap, c.mohBurst = 0, 0
		}
		c.mohOn = on
	}
	if c.mohGap > 0 {
		c.mohGap--
		if c.mohGap == 0 {
			c.mohBurst = mohBurstFrames - 1 // this frame's read plus these make the burst
		}
		return nil, true
	}
	return f.read(), false
}

// burstLocked sends the pending music-on-hold bursts: extra frames, at once, that carry only
// the bursting channels' music through bridges and snoops to the RTP and WebSocket outputs.
// Nothing else advances (prompts, playbacks, recordings, what devices hear keep clock time).
func (s *Server) burstLocked(chans []*channel) {
	for {
		more := false
		for _, c := range chans {
			c.readNow = nil
			if c.mohBurst > 0 && !c.dead && c.state == "Up" {
				if f := farOf(c); f != nil {
					c.readNow = f.read()
					more = true
				}
				c.mohBurst--
			}
		}
		if !more {
			return
		}
		for _, c := range chans {
			if c.kind != kindSnoop {
				continue
			}
			if t := c.snoop.target; c.snoop.spy == "in" || c.snoop.spy == "both" {
				c.readNow = t.readNow
			}
		}
		writes := map[*channel][]int16{}
		for _, b := range s.bridges {
			if b.typ == "holding" {
				continue
			}
			for _, m := range b.members {
				var f []int16
				for _, o := range b.members {
					if o != m {
						f = mix(f, o.readNow)
					}
				}
				writes[m] = f
			}
		}
		for _, c := range chans {
			f := writes[c]
			if f == nil {
				continue
			}
			switch c.kind {
			case kindUnicast:
				c.ext.send(f, s.faults)
			case kindWebSocket:
				c.wsm.send(f)
			}
		}
	}
}
