package audio

import "github.com/zaf/g711"

// ULawEncode encodes 16-bit linear samples as G.711 mu-law bytes (one byte per
// sample), the payload of PCMU RTP and of Asterisk's "ulaw" format.
func ULawEncode(samples []int16) []byte {
	out := make([]byte, len(samples))
	for i, s := range samples {
		out[i] = g711.EncodeUlawFrame(s)
	}
	return out
}

// ULawDecode decodes G.711 mu-law bytes into 16-bit linear samples.
func ULawDecode(b []byte) []int16 {
	out := make([]int16, len(b))
	for i, c := range b {
		out[i] = ulawToLinear(c)
	}
	return out
}

// ALawEncode encodes 16-bit linear samples as G.711 A-law bytes (PCMA).
func ALawEncode(samples []int16) []byte {
	out := make([]byte, len(samples))
	for i, s := range samples {
		out[i] = g711.EncodeAlawFrame(s)
	}
	return out
}

// ALawDecode decodes G.711 A-law bytes into 16-bit linear samples.
func ALawDecode(b []byte) []int16 {
	out := make([]int16, len(b))
	for i, c := range b {
		out[i] = alawToLinear(c)
	}
	return out
}

func ulawToLinear(c byte) int16 { return g711.DecodeUlawFrame(c) }
func alawToLinear(c byte) int16 { return g711.DecodeAlawFrame(c) }
