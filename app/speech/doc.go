// Package speech gives the call engine its ears and mouth: a voice activity detector that
// finds speech onsets and offsets in the 20 ms frames of the listen stream and cuts
// utterances for transcription, speech-to-text over any OpenAI-compatible transcription
// endpoint (OpenAI, a whisper.cpp server, vLLM), and text-to-speech through espeak-ng (the
// local default) or OpenAI speech.
//
// Nothing here knows about calls or events: the engine feeds frames and text in and gets
// events, utterances, transcripts and PCM back, so the package is testable on its own.
package speech
