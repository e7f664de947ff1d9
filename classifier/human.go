package classifier

import (
	"math"
	"time"
)

// HumanDetector is the acoustic layer of "a person answered": once the call
// has been on hold, speech that starts and continues without a music bed
// under it is a candidate; after MinSpeech of it, human_detected fires with
// the onset of the speech and what was seen, so the transcript layer can
// confirm or veto. An announcement spoken over the hold music (the model's
// speech-over-music class, or music frames mixed into the candidate) does
// not fire. If music comes back after a detection, hold_resumed is emitted.
type HumanDetector struct {
	MinSpeech     time.Duration
	MaxMusicShare float64
	MinConfidence float64
	MaxMusicBed   float64 // mean music-bed probability above which a candidate cannot fire
	// MaxRecentSoM: no detection while the recent share of speech-over-music
	// frames is above this (an announcement over music was just playing).
	MaxRecentSoM float64

	armed      bool
	holdSince  time.Duration
	holdAudio  string
	holdLevel  float64
	holdEndAt  time.Duration
	inCand     bool
	fired      bool
	onset      time.Duration
	speechN    int
	somN       int
	musicN     int
	otherN     int
	pSum       float64
	bedSum     float64
	quietRun   int     // consecutive background-level frames just before now
	somRecent  float64 // decaying share of speech-over-music frames (about 2 s memory)
	gapBefore  int     // quiet frames right before the candidate's onset
	eSum       float64
	musicAfter int
	floorRing  [floorFrames]float64
	floorPos   int
}

// Frames only count as speech for the candidate when they stand out of the
// background: at least humanAboveFloorDB above the quietest frame of the last
// floorFrames. The end of the music, falling into silence, is not speech.
const (
	floorFrames       = 75 // 1.5 s
	humanAboveFloorDB = 9.0
	humanQuietDB      = 6.0 // frames this close to the floor are background
	// humanBedWait scales the speech needed with the music-bed probability:
	// MinSpeech * (1 + humanBedWait*bed).
	humanBedWait = 10.0
	// humanSoMMemoryFrames is the time constant of somRecent (2 s).
	humanSoMMemoryFrames = 100.0
)

// floor returns the lowest frame level of the recent past.
func (d *HumanDetector) floor(e float64) float64 {
	d.floorRing[d.floorPos] = e
	d.floorPos = (d.floorPos + 1) % floorFrames
	m := d.floorRing[0]
	for _, v := range d.floorRing[1:] {
		m = math.Min(m, v)
	}
	return m
}

// NewHumanDetector returns a detector with the given thresholds.
func NewHumanDetector(minSpeech time.Duration, maxMusicShare, minConf float64) *HumanDetector {
	return &HumanDetector{MinSpeech: minSpeech, MaxMusicShare: maxMusicShare, MinConfidence: minConf, MaxMusicBed: DefaultHumanMaxMusicBed, MaxRecentSoM: DefaultHumanMaxRecentSoM}
}

// Reset disarms the detector.
func (d *HumanDetector) Reset() {
	*d = HumanDetector{MinSpeech: d.MinSpeech, MaxMusicShare: d.MaxMusicShare, MinConfidence: d.MinConfidence, MaxMusicBed: d.MaxMusicBed, MaxRecentSoM: d.MaxRecentSoM}
}

// Arm tells the detector that a hold began (or continues).
func (d *HumanDetector) Arm(since time.Duration, audio string, level float64) {
	if !d.armed || d.fired {
		d.holdSince = since
	}
	d.armed, d.fired = true, false
	d.holdAudio, d.holdLevel = audio, level
	d.inCand = false
}

// Armed reports whether a hold has been seen and no human yet.
func (d *HumanDetector) Armed() bool { return d.armed && !d.fired }

// HumanFrame is the per-frame input of the HumanDetector.
type HumanFrame struct {
	At         time.Duration
	Raw        Label // frame label
	Smoothed   Label
	MusicUnder bool
	PSpeech    float64
	PMusicBed  float64 // model probability of music or speech over music
	EnergyDB   float64
}

// Process advances one frame and returns a detection when one is made.
func (d *HumanDetector) Process(f HumanFrame) (Detection, bool) {
	if !d.armed {
		d.floor(f.EnergyDB)
		return Detection{}, false
	}
	if d.fired {
		d.floor(f.EnergyDB)
		// Watch for the hold coming back: sustained music after the "human".
		if f.Smoothed == Music || (f.Smoothed == Speech && f.MusicUnder) {
			d.musicAfter++
			if d.musicAfter >= frames(3*time.Second) {
				d.fired, d.inCand, d.musicAfter = false, false, 0
				return Detection{Kind: HoldResumed, At: f.At + FrameDuration, Onset: f.At - 3*time.Second,
					Confidence: 0.8, AudioType: "music"}, true
			}
		} else {
			d.musicAfter = 0
		}
		return Detection{}, false
	}
	fl := d.floor(f.EnergyDB)
	som := 0.0
	if f.Raw == Speech && f.MusicUnder {
		som = 1
	}
	d.somRecent += (som - d.somRecent) / humanSoMMemoryFrames
	speechy := f.Raw == Speech && f.EnergyDB >= fl+humanAboveFloorDB
	quiet := f.EnergyDB < fl+humanQuietDB
	defer func() {
		if quiet {
			d.quietRun++
		} else {
			d.quietRun = 0
		}
	}()
	if !d.inCand {
		if f.Raw == Music || f.Smoothed == Music || (speechy && f.MusicUnder) {
			d.holdEndAt = f.At + FrameDuration
		}
		if !speechy || f.MusicUnder {
			return Detection{}, false
		}
		d.inCand = true
		d.onset = f.At
		d.speechN, d.somN, d.musicN, d.otherN, d.pSum, d.eSum, d.bedSum = 0, 0, 0, 0, 0, 0, 0
		d.gapBefore = d.quietRun
	}
	switch {
	case speechy && f.MusicUnder:
		d.somN++
	case speechy:
		d.speechN++
		d.pSum += f.PSpeech
		d.bedSum += f.PMusicBed
		d.eSum += f.EnergyDB
	case f.Raw == Music:
		d.musicN++
	default:
		d.otherN++
	}
	total := d.speechN + d.somN + d.musicN
	musicShare := 0.0
	if total > 0 {
		musicShare = float64(d.somN+d.musicN) / float64(total)
	}
	// Give up on the candidate when the hold audio is back.
	if (total >= frames(d.MinSpeech) && musicShare > d.MaxMusicShare) || f.Smoothed == Music && d.musicN > frames(time.Second) {
		d.inCand = false
		d.holdEndAt = f.At + FrameDuration
		return Detection{}, false
	}
	if d.otherN > frames(2*time.Second) && d.speechN < frames(d.MinSpeech) {
		d.inCand = false
		return Detection{}, false
	}
	if d.speechN < frames(d.MinSpeech) || f.Smoothed != Speech {
		return Detection{}, false
	}
	// Doubt about a music bed asks for more speech before deciding, and too
	// much of it vetoes the candidate until cleaner speech outweighs it.
	bed := d.bedSum / float64(d.speechN)
	if d.somRecent > d.MaxRecentSoM || bed > d.MaxMusicBed || float64(d.speechN) < float64(frames(d.MinSpeech))*(1+humanBedWait*bed) {
		return Detection{}, false
	}
	meanP := d.pSum / float64(d.speechN)
	conf := meanP * (1 - musicShare) * (1 - bed)
	if conf < d.MinConfidence {
		return Detection{}, false
	}
	d.fired, d.musicAfter = true, 0
	ev := HumanEvidence{
		HoldDuration:          d.holdEndAt - d.holdSince,
		HoldAudio:             d.holdAudio,
		SpeechDuration:        time.Duration(d.speechN) * FrameDuration,
		MusicUnderSpeech:      musicShare > 0.1,
		SpeechOverMusicShare:  musicShare,
		MeanSpeechProb:        meanP,
		MusicBedProb:          d.bedSum / float64(d.speechN),
		RecentSpeechOverMusic: d.somRecent,
		LevelChangeDB:         d.eSum/float64(d.speechN) - d.holdLevel,
	}
	ev.SilenceBeforeSpeech = time.Duration(d.gapBefore) * FrameDuration
	if ev.HoldDuration < 0 {
		ev.HoldDuration = 0
	}
	return Detection{Kind: HumanDetected, At: f.At + FrameDuration, Onset: d.onset, Confidence: conf,
		AudioType: "speech", Evidence: ev}, true
}
