package speech

import (
	"bytes"
	"fmt"

	"github.com/holdslayer/holdslayer/app/audio"
)

// decodeWAV reads a whole WAV held in memory, such as espeak-ng's --stdout or a speech API's
// response; app/audio copes with the placeholder sizes streaming writers declare.
func decodeWAV(b []byte) (audio.PCM, error) {
	p, err := audio.ReadWAV(bytes.NewReader(b))
	if err != nil {
		return audio.PCM{}, fmt.Errorf("decode wav: %w", err)
	}
	return p, nil
}
