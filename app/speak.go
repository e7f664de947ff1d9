package app

import (
	"fmt"
	"time"

	"github.com/holdslayer/holdslayer/app/speech"
)

// What a phrase is said for; the call reacts differently when it has been played.
const (
	speakNav       = "navigation"
	speakLiveCheck = "live_check"
	speakGreeting  = "greeting"
)

// DefaultAgentGreeting is said to a confirmed person before the user's phone rings.
const DefaultAgentGreeting = "Thank you, please stay on the line while I connect the customer."

// DefaultLiveCheckPhrase is the live check's question.
const DefaultLiveCheckPhrase = "Hi, are you a live person?"

// speakDone says a phrase has been played (or could not be).
type speakDone struct {
	purpose string
	text    string
	start   time.Time
	err     error
	// end is the clock time the last of the phrase was sent, played how long it lasted:
	// [end-played, end] is when the far end heard us.
	end    time.Time
	played time.Duration
}

// speak synthesizes text and plays it into the call bridge through the say channel, in its
// own goroutine; speakDone follows on c.speakC. One phrase at a time.
func (c *call) speak(text, purpose string) error {
	tts := c.eng.cfg.TTS
	if tts == nil {
		return fmt.Errorf("no text-to-speech configured: %w", speech.ErrTTSUnavailable)
	}
	if c.speaking != "" {
		return fmt.Errorf("already speaking (%s): %w", c.speaking, ErrConflict)
	}
	if c.speaker == nil {
		sink, err := c.sess.Speaker(c.ctx, c.callBridge)
		if err != nil {
			return fmt.Errorf("open the say channel: %w", err)
		}
		c.speaker = sink
	}
	c.speaking = purpose
	start := c.clk.Now()
	c.transcript(HeardText{Text: text, Speaker: SpeakerHoldSlayer, Start: start, End: start})
	sink := c.speaker
	c.bg.Add(1)
	go func() {
		defer c.bg.Done()
		pcm, rate, err := tts.Synthesize(c.ctx, text)
		var played time.Duration
		if err == nil {
			err = sink.Play(c.ctx, pcm, rate)
			if rate > 0 {
				played = time.Duration(len(pcm)) * time.Second / time.Duration(rate)
			}
		}
		select {
		case c.speakC <- speakDone{purpose: purpose, text: text, start: start, err: err, end: c.clk.Now(), played: played}:
		case <-c.ctx.Done():
		}
	}()
	return nil
}

// onSpoken continues whatever waited for a phrase to be played.
func (c *call) onSpoken(d speakDone) *endCause {
	c.speaking = ""
	if d.err != nil {
		c.log.Warn("phrase not played", "purpose", d.purpose, "err", d.err)
	} else {
		c.log.Info("phrase played", "purpose", d.purpose, "seconds", round1(c.clk.Now().Sub(d.start).Seconds()))
	}
	switch d.purpose {
	case speakLiveCheck:
		return c.liveCheckAsked(d)
	case speakGreeting:
		return c.greeted()
	}
	return c.runNavQueue()
}

// closeSpeaker hangs up the say channel.
func (c *call) closeSpeaker() {
	if c.speaker == nil {
		return
	}
	if err := c.speaker.Close(); err != nil {
		c.log.Debug("close say channel", "err", err)
	}
	c.speaker = nil
}
