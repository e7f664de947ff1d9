// Package aritest is a simulated Asterisk 22 for tests and the demo: it speaks the ARI subset the
// service uses (REST under /ari, the events WebSocket) with the paths, status codes, JSON bodies
// and event order recorded from a real Asterisk in shared/ari-traces, and it carries real audio
// as RTP over UDP (externalMedia), mixed by bridges, copied by snoops and recorded to WAV.
//
// Behind the ARI surface sit scripted companies (Scenario: ring, prompts, DTMF and spoken-word
// menus, hold music with announcements, a live agent) and simulated user devices
// (DeviceBehavior). Everything that takes time (media pacing, DTMF delay, scenario steps) runs on
// the injected clock.Clock, so an accelerated clock runs a two-minute hold in seconds.
//
// Defaults: credentials holdslayer/holdslayer (basic auth or api_key=user:password), listen
// address 127.0.0.1:0, Asterisk id 02:fc:00:00:00:01 like the traces.
//
// Spoken-word menus: the simulation has no speech recogniser. A menu with `speech` options
// accepts the first one when the service sends speech-like energy (RMS above about -40 dBFS)
// for SpeechMinDuration (default 600 ms) while the menu waits; a speech helper can refine this.
package aritest
