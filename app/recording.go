package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
)

// recordingFinishWait bounds how long teardown waits for the PBX to confirm stopped recordings.
const recordingFinishWait = 5 * time.Second

// wavBytesPerSecond is 8 kHz 16-bit mono, the format the PBX stores recordings in.
const wavBytesPerSecond = 16000

// recording is one live or stopped recording of the call.
type recording struct {
	id       string
	name     string // the PBX's recording name
	kind     string // mixed or company
	path     string
	started  time.Time
	done     bool
	failed   bool
	duration time.Duration
}

// startRecordings records the call bridge (mixed) and the company leg.
func (c *call) startRecordings() {
	for _, spec := range []struct {
		kind   string
		target RecordTarget
	}{
		{"mixed", RecordTarget{BridgeID: c.callBridge}},
		{"company", RecordTarget{ChannelID: c.companyCh}},
	} {
		name := c.id + "-" + spec.kind
		r := &recording{
			id:   "rec_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:16],
			name: name, kind: spec.kind, started: c.clk.Now(),
		}
		if c.eng.cfg.RecordingsDir != "" {
			r.path = filepath.Join(c.eng.cfg.RecordingsDir, c.id, name+".wav")
		}
		if err := c.sess.StartRecording(c.ctx, spec.target, name); err != nil {
			c.log.Error("start recording", "kind", spec.kind, "err", err)
			continue
		}
		c.recordings = append(c.recordings, r)
		c.emit(EventRecordingStarted, map[string]any{"recording_id": r.id, "path": r.path, "kind": r.kind})
	}
}

func (c *call) onRecordingEvent(ev PBXEvent) {
	for _, r := range c.recordings {
		if r.name != ev.Name {
			continue
		}
		if ev.Kind == PBXRecordingFailed {
			r.failed = true
			c.log.Error("recording failed", "recording", r.name, "reason", ev.Reason)
			return
		}
		r.done = true
		r.duration = ev.Duration
	}
}

// finishRecordings stops live recordings, waits for the PBX to store them, fetches the files
// into the recordings directory and records them in the store.
func (c *call) finishRecordings(ctx context.Context) {
	if len(c.recordings) == 0 {
		return
	}
	waiting := 0
	for _, r := range c.recordings {
		if r.done || r.failed {
			continue
		}
		if err := c.sess.StopRecording(ctx, r.name); err != nil {
			c.log.Warn("stop recording", "recording", r.name, "err", err)
		}
		waiting++
	}
	if waiting > 0 {
		t := c.clk.NewTimer(recordingFinishWait)
	wait:
		for waiting > 0 {
			select {
			case ev, ok := <-c.sess.Events():
				if !ok {
					break wait
				}
				if ev.Kind == PBXRecordingFinished || ev.Kind == PBXRecordingFailed {
					c.onRecordingEvent(ev)
					waiting = 0
					for _, r := range c.recordings {
						if !r.done && !r.failed {
							waiting++
						}
					}
				}
			case <-t.C():
				c.log.Warn("recordings not confirmed stopped in time", "waiting", waiting)
				break wait
			case <-ctx.Done():
				break wait
			}
		}
		t.Stop()
	}
	for _, r := range c.recordings {
		c.saveRecording(ctx, r)
	}
}

func (c *call) saveRecording(ctx context.Context, r *recording) {
	stopped := map[string]any{"recording_id": r.id, "kind": r.kind, "duration": 0.0, "file_size": int64(0)}
	if !r.done || r.path == "" {
		why := "recording failed"
		if r.path == "" {
			why = "no recordings directory configured"
		} else if !r.failed {
			why = "recording not confirmed stopped"
		}
		stopped["error"] = why
		c.emit(EventRecordingStopped, stopped)
		return
	}
	n, err := c.fetchRecording(ctx, r)
	if err != nil {
		c.log.Error("fetch recording", "recording", r.name, "err", err)
		stopped["error"] = err.Error()
		c.emit(EventRecordingStopped, stopped)
		return
	}
	dur := r.duration.Seconds()
	if dur <= 0 && n > 44 {
		dur = float64(n-44) / wavBytesPerSecond
	}
	rec := &Recording{ID: r.id, CallID: c.id, Kind: r.kind, Path: r.path, Duration: round1(dur), FileSize: n, CreatedAt: r.started}
	if err := c.eng.cfg.Store.AddRecording(ctx, rec); err != nil {
		c.log.Error("store recording", "recording", r.name, "err", err)
	}
	stopped["duration"], stopped["file_size"], stopped["path"] = rec.Duration, n, r.path
	c.emit(EventRecordingStopped, stopped)
}

func (c *call) fetchRecording(ctx context.Context, r *recording) (int64, error) {
	if err := os.MkdirAll(filepath.Dir(r.path), 0o750); err != nil {
		return 0, fmt.Errorf("create recordings dir: %w", err)
	}
	f, err := os.Create(r.path)
	if err != nil {
		return 0, fmt.Errorf("create recording file: %w", err)
	}
	n, err := c.sess.FetchRecording(ctx, r.name, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(r.path)
		return 0, fmt.Errorf("fetch recording %s: %w", r.name, err)
	}
	return n, nil
}
