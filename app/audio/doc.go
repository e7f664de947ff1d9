// Package audio reads and writes the audio files and sample formats Hold Slayer
// meets at its edges: WAV files of any rate and common telephone encodings,
// G.711 mu-law and A-law payloads, and rate conversion to the 8 or 16 kHz the
// classifier works at. It does the I/O so that the classifier can stay pure.
package audio
