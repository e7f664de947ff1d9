package ari

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	ariv5 "github.com/CyCoreSystems/ari/v5"

	"github.com/holdslayer/holdslayer/app"
)

// Listen taps what channelID hears from the far end: a snoop (spy=in) on it and an
// externalMedia channel pointed at a UDP socket of ours, both in a private mixing bridge. The
// snoop carries only the far end, never what the service itself says into the call.
func (s *Session) Listen(ctx context.Context, channelID string) (app.AudioSource, error) {
	if err := s.closed(); err != nil {
		return nil, err
	}
	a := s.a
	conn, err := a.listenUDP()
	if err != nil {
		return nil, err
	}
	src, err := NewRTPSource(conn, a.opts.Format, a.clk, s.log.With("listen", channelID))
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	var made []string // channels created so far, for teardown
	var bridgeID string
	src.teardown = func(ctx context.Context) error {
		s.removeCloser(src)
		var errs []error
		for _, id := range made {
			errs = append(errs, s.Hangup(ctx, id, "normal"))
		}
		if bridgeID != "" {
			errs = append(errs, s.DestroyBridge(ctx, bridgeID))
		}
		return errors.Join(errs...)
	}
	fail := func(err error) (app.AudioSource, error) {
		_ = src.Close()
		return nil, fmt.Errorf("listen %s: %w", channelID, err)
	}

	// Subscribe before acting: the snoop's id is routed to us before it exists. The library's
	// StageSnoop puts the id in the path (/snoop/{id}); the query form below is what every ARI
	// server we meet (Asterisk and the simulator) accepts.
	snoopID := newID("snoop")
	s.addChannel(snoopID, kindSnoop, src.stopMedia)
	q := url.Values{"app": {a.opts.App}, "spy": {string(ariv5.DirectionIn)}, "snoopId": {snoopID}}
	if err := s.createChannel(ctx, "snoop "+channelID, snoopID, func(c context.Context) error {
		return a.rawPost(c, "snoop "+channelID, "/channels/"+url.PathEscape(channelID)+"/snoop", q)
	}); err != nil {
		return fail(err)
	}
	made = append(made, snoopID)

	bridgeID, err = s.createBridge(ctx, app.BridgeMixing, "listen")
	if err != nil {
		return fail(err)
	}

	mediaID := newID("em")
	mh, err := a.client.Channel().StageExternalMedia(nil, ariv5.ExternalMediaOptions{
		ChannelID:      mediaID,
		App:            a.opts.App,
		ExternalHost:   src.LocalAddr().String(),
		Encapsulation:  "rtp",
		Transport:      "udp",
		ConnectionType: "client",
		Format:         a.opts.Format,
		Direction:      "both",
	})
	if err != nil {
		return fail(err)
	}
	s.addChannel(mediaID, kindMedia, src.stopMedia)
	if err := s.createChannel(ctx, "external media", mediaID, func(c context.Context) error { return a.do(c, "external media", mh.Exec) }); err != nil {
		return fail(err)
	}
	made = append(made, mediaID)

	for _, id := range []string{snoopID, mediaID} {
		if err := s.addNewChannel(ctx, bridgeID, id); err != nil {
			return fail(err)
		}
	}
	s.addCloser(src)
	s.log.Info("listening", "channel_id", channelID, "snoop_id", snoopID, "media_id", mediaID,
		"rtp", src.LocalAddr().String(), "format", a.opts.Format)
	return src, nil
}
