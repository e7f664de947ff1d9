package aritest

import (
	"sort"
	"time"
)

// tsLayout is Asterisk's timestamp layout (not RFC 3339: no colon in the zone offset).
const tsLayout = "2006-01-02T15:04:05.000-0700"

const asteriskID = "02:fc:00:00:00:01"

// chanKind tells what sits behind a simulated channel.
type chanKind int

const (
	kindLocal1    chanKind = iota // the Stasis half of a Local pair
	kindLocal2                    // the dialplan half of a Local pair (runs the far end)
	kindPJSIP                     // a trunk call to a company or a device call
	kindUnicast                   // externalMedia over UDP/RTP
	kindSnoop                     // a snoop channel
	kindWebSocket                 // externalMedia over a media WebSocket (chan_websocket)
)

type dialplan struct {
	Context  string `json:"context"`
	Exten    string `json:"exten"`
	Priority int    `json:"priority"`
	AppName  string `json:"app_name"`
	AppData  string `json:"app_data"`
}

type party struct {
	Name   string `json:"name"`
	Number string `json:"number"`
}

// channel is one simulated Asterisk channel. All fields are guarded by Server.mu.
type channel struct {
	id, name   string
	kind       chanKind
	state      string // Down, Ring, Ringing, Up
	created    time.Time
	caller     party
	connected  party
	dp         dialplan
	vars       map[string]string
	apps       map[string]bool // applications subscribed to this channel's events
	stasisApp  string          // non-empty while in Stasis
	stasisArgs []string
	bridge     *bridge
	peer       *channel // the other half of a Local pair
	far        farEnd   // the far end (company, device) for Local;2 and PJSIP channels
	ext        *extMedia
	wsm        *wsMedia
	snoop      *snoopInfo
	dead       bool

	// media, owned by the media loop (under Server.mu)
	moh        *loop       // music on hold on the channel
	plays      []*playback // channel playbacks (queued, first plays)
	lastWrite  []int16     // what the channel was written last frame (for spy=out)
	readNow    []int16     // what the channel read from its far end this frame
	gap        bool        // no frame this time because music on hold is starting
	mohOn      bool        // the far end was playing music last frame
	mohGap     int         // frames left in the music-on-hold start gap
	mohBurst   int         // frames of music still to send at once after the gap
	recordings []*recording
}

type snoopInfo struct {
	target         *channel
	spy, whisper   string
	whisperPending []int16
}

func (c *channel) json() map[string]any {
	m := map[string]any{
		"accountcode":  "",
		"caller":       c.caller,
		"connected":    c.connected,
		"creationtime": c.created.Format(tsLayout),
		"dialplan":     c.dp,
		"id":           c.id,
		"language":     "en",
		"name":         c.name,
		"protocol_id":  "",
		"state":        c.state,
	}
	return m
}

// bridge is one simulated bridge, guarded by Server.mu.
type bridge struct {
	id, name, typ string
	created       time.Time
	members       []*channel
	apps          map[string]bool
	moh           *loop
	plays         []*playback
	recordings    []*recording
}

func (b *bridge) json() map[string]any {
	ids := make([]string, 0, len(b.members))
	for _, m := range b.members {
		ids = append(ids, m.id)
	}
	sort.Strings(ids)
	tech := "simple_bridge"
	if b.typ == "holding" {
		tech = "holding_bridge"
	} else if len(b.members) > 2 {
		tech = "softmix"
	}
	return map[string]any{
		"bridge_class": "stasis",
		"bridge_type":  b.typ,
		"channels":     ids,
		"creationtime": b.created.Format(tsLayout),
		"creator":      "Stasis",
		"id":           b.id,
		"name":         b.name,
		"technology":   tech,
		"video_mode":   "talker",
	}
}

func (b *bridge) has(c *channel) bool {
	for _, m := range b.members {
		if m == c {
			return true
		}
	}
	return false
}

func (b *bridge) remove(c *channel) {
	for i, m := range b.members {
		if m == c {
			b.members = append(b.members[:i], b.members[i+1:]...)
			return
		}
	}
}
