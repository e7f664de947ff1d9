package speech

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/holdslayer/holdslayer/app/audio"
)

// decodeWAV reads a WAV produced by a streaming writer. espeak-ng --stdout and streamed
// speech APIs cannot seek back to fill in sizes, so they declare placeholder sizes
// (0x7FFFF000, 0xFFFFFFFF); the declared data size is clamped to what is actually present
// before the bytes are decoded.
func decodeWAV(b []byte) (audio.PCM, error) {
	if len(b) >= 12 && string(b[0:4]) == "RIFF" && string(b[8:12]) == "WAVE" {
		b = append([]byte(nil), b...)
		binary.LittleEndian.PutUint32(b[4:8], uint32(len(b)-8))
		pos := 12
		for pos+8 <= len(b) {
			id := string(b[pos : pos+4])
			size := int(binary.LittleEndian.Uint32(b[pos+4 : pos+8]))
			if id == "data" {
				if avail := len(b) - pos - 8; size > avail || size == 0 {
					binary.LittleEndian.PutUint32(b[pos+4:pos+8], uint32(avail))
				}
				break
			}
			pos += 8 + size + size&1
		}
	}
	p, err := audio.ReadWAV(bytes.NewReader(b))
	if err != nil {
		return audio.PCM{}, fmt.Errorf("decode wav: %w", err)
	}
	return p, nil
}
