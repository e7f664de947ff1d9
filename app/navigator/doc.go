// Package navigator gets a call through a company's phone menu and judges what it hears:
// replay of a remembered call flow, a menu matcher that needs no LLM, LLM navigation with
// tool calling, learning flows from successful calls, the transcript layer of the human
// detector (with the optional live check) and wait-time estimates from announcements.
//
// Everything is driven by the engine's call goroutine: inputs are text, times and
// observations; outputs are Actions and event data. Nothing here sends DTMF, plays audio or
// publishes events itself, so each part is testable without a PBX.
package navigator
