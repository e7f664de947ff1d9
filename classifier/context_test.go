package classifier

import (
	"math"
	"testing"
)

// The held-note inputs (v[22] steady share, v[23] level movement, v[24]
// longest steady run) tell a held note from a gliding voice: a note at one
// pitch and level scores all steady and no movement; a voice whose pitch
// moves a semitone a frame and whose level swings scores none steady.
func TestContextHeldNoteFeatures(t *testing.T) {
	note, voice := NewContextWindow(), NewContextWindow()
	var vn, vv []float64
	for i := 0; i < contextFrames; i++ {
		vn, _ = note.Push(Features{EnergyDB: -20, Pitch: 220, Harmonicity: 0.9})
		level := -20.0
		if i%2 == 1 {
			level = -26
		}
		vv, _ = voice.Push(Features{EnergyDB: level, Pitch: 150 * math.Pow(2, float64(i%8)/12), Harmonicity: 0.9})
	}
	if vn[22] != 1 || vn[23] != 0 || vn[24] != float64(contextFrames-1)/contextFrames {
		t.Errorf("held note: steady %.3f, level movement %.3f, longest run %.3f; want 1, 0, %.3f",
			vn[22], vn[23], vn[24], float64(contextFrames-1)/contextFrames)
	}
	if vv[22] != 0 || vv[23] != 6 || vv[24] != 0 {
		t.Errorf("gliding voice: steady %.3f, level movement %.3f, longest run %.3f; want 0, 6, 0", vv[22], vv[23], vv[24])
	}
}
