package audio

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// PCM is mono 16-bit linear audio at a known sample rate, the one in-memory
// form every other part of the project exchanges.
type PCM struct {
	Samples []int16
	Rate    int
}

// Duration returns the length of the audio in seconds, for reports.
func (p PCM) Duration() float64 {
	if p.Rate <= 0 {
		return 0
	}
	return float64(len(p.Samples)) / float64(p.Rate)
}

// Errors returned by ReadWAV, so callers can tell a broken file from an
// unsupported one.
var (
	// ErrNotWAV means the data does not start with a RIFF/WAVE header.
	ErrNotWAV = errors.New("not a RIFF/WAVE file")
	// ErrUnsupported means the WAV is well formed but its encoding is not handled.
	ErrUnsupported = errors.New("unsupported wav encoding")
	// ErrCorrupt means the WAV structure is inconsistent or truncated.
	ErrCorrupt = errors.New("corrupt wav file")
)

// WAV format tags (the wFormatTag field of the fmt chunk).
const (
	formatPCM        = 0x0001
	formatFloat      = 0x0003
	formatALaw       = 0x0006
	formatMuLaw      = 0x0007
	formatExtensible = 0xFFFE
)

// Limits that keep a hostile header from making the reader allocate wildly.
const (
	maxChannels = 32
	maxRate     = 384000
	// maxDataBytes caps the PCM payload read into memory (1 GiB).
	maxDataBytes = 1 << 30
)

type wavFormat struct {
	tag           uint16
	channels      int
	rate          int
	bitsPerSample int
	blockAlign    int
}

// ReadFile opens path and decodes it with ReadWAV; the error names the file.
func ReadFile(path string) (PCM, error) {
	f, err := os.Open(path)
	if err != nil {
		return PCM{}, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	p, err := ReadWAV(bufio.NewReader(f))
	if err != nil {
		return PCM{}, fmt.Errorf("read %s: %w", path, err)
	}
	return p, nil
}

// ReadWAV decodes a RIFF/WAVE stream into mono 16-bit PCM at the file's own
// rate. It accepts 8/16/24/32-bit integer PCM, 32/64-bit float, mu-law and
// A-law, mono or multichannel (channels are averaged). Corrupt or truncated
// input returns an error wrapping ErrNotWAV, ErrCorrupt or ErrUnsupported; it
// never panics.
func ReadWAV(r io.Reader) (PCM, error) {
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return PCM{}, fmt.Errorf("read riff header: %w", ErrNotWAV)
	}
	if string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return PCM{}, ErrNotWAV
	}
	var (
		fmtc    *wavFormat
		samples []int16
		gotData bool
	)
	for !gotData {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			if fmtc == nil {
				return PCM{}, fmt.Errorf("missing fmt chunk: %w", ErrCorrupt)
			}
			return PCM{}, fmt.Errorf("missing data chunk: %w", ErrCorrupt)
		}
		id := string(ch[0:4])
		size := int64(binary.LittleEndian.Uint32(ch[4:8]))
		switch id {
		case "fmt ":
			f, err := readFmt(r, size)
			if err != nil {
				return PCM{}, err
			}
			fmtc = f
		case "data":
			if fmtc == nil {
				return PCM{}, fmt.Errorf("data chunk before fmt chunk: %w", ErrCorrupt)
			}
			s, err := readData(r, size, fmtc)
			if err != nil {
				return PCM{}, err
			}
			samples = s
			gotData = true
		default:
			if err := skip(r, size+size&1); err != nil {
				return PCM{}, fmt.Errorf("skip %q chunk: %w", id, ErrCorrupt)
			}
		}
	}
	return PCM{Samples: samples, Rate: fmtc.rate}, nil
}

func skip(r io.Reader, n int64) error {
	m, err := io.CopyN(io.Discard, r, n)
	if err != nil && !(errors.Is(err, io.EOF) && m == n) {
		return err
	}
	return nil
}

func readFmt(r io.Reader, size int64) (*wavFormat, error) {
	if size < 16 || size > 1024 {
		return nil, fmt.Errorf("fmt chunk size %d: %w", size, ErrCorrupt)
	}
	buf := make([]byte, size+size&1)
	if _, err := io.ReadFull(r, buf); err != nil {
		// A missing pad byte at the very end is tolerated.
		if !(size&1 == 1 && errors.Is(err, io.ErrUnexpectedEOF)) {
			return nil, fmt.Errorf("read fmt chunk: %w", ErrCorrupt)
		}
	}
	f := &wavFormat{
		tag:           binary.LittleEndian.Uint16(buf[0:2]),
		channels:      int(binary.LittleEndian.Uint16(buf[2:4])),
		rate:          int(binary.LittleEndian.Uint32(buf[4:8])),
		blockAlign:    int(binary.LittleEndian.Uint16(buf[12:14])),
		bitsPerSample: int(binary.LittleEndian.Uint16(buf[14:16])),
	}
	if f.tag == formatExtensible {
		if size < 40 {
			return nil, fmt.Errorf("extensible fmt chunk too short: %w", ErrCorrupt)
		}
		// The sub-format GUID starts with the real format tag.
		f.tag = binary.LittleEndian.Uint16(buf[24:26])
	}
	if f.channels < 1 || f.channels > maxChannels {
		return nil, fmt.Errorf("%d channels: %w", f.channels, ErrCorrupt)
	}
	if f.rate < 1 || f.rate > maxRate {
		return nil, fmt.Errorf("sample rate %d: %w", f.rate, ErrUnsupported)
	}
	switch f.tag {
	case formatPCM:
		switch f.bitsPerSample {
		case 8, 16, 24, 32:
		default:
			return nil, fmt.Errorf("%d-bit pcm: %w", f.bitsPerSample, ErrUnsupported)
		}
	case formatFloat:
		if f.bitsPerSample != 32 && f.bitsPerSample != 64 {
			return nil, fmt.Errorf("%d-bit float: %w", f.bitsPerSample, ErrUnsupported)
		}
	case formatALaw, formatMuLaw:
		if f.bitsPerSample != 8 {
			return nil, fmt.Errorf("%d-bit g.711: %w", f.bitsPerSample, ErrUnsupported)
		}
	default:
		return nil, fmt.Errorf("format tag 0x%04x: %w", f.tag, ErrUnsupported)
	}
	want := f.channels * f.bitsPerSample / 8
	if f.blockAlign != want {
		// Some writers get blockAlign wrong; trust the sample layout.
		f.blockAlign = want
	}
	return f, nil
}

func readData(r io.Reader, size int64, f *wavFormat) ([]int16, error) {
	// Writers that stream cannot seek back to fill in the size, so they declare a placeholder
	// (0, 0xFFFFFFFF, or espeak-ng's 0x7FFFF000): any size past the limit is read as "to EOF",
	// and only data actually larger than the limit is refused.
	streaming := size == 0 || size > maxDataBytes
	limit := size
	if streaming {
		limit = maxDataBytes + 1
	}
	// Read what is there; a truncated final chunk is common in recordings cut by a hangup,
	// so keep the whole frames we got.
	raw, err := io.ReadAll(io.LimitReader(r, limit))
	if err != nil {
		return nil, fmt.Errorf("read data: %w", ErrCorrupt)
	}
	if int64(len(raw)) > maxDataBytes {
		return nil, fmt.Errorf("data chunk larger than %d bytes: %w", int64(maxDataBytes), ErrUnsupported)
	}
	if len(raw) == 0 && !streaming {
		return nil, fmt.Errorf("data chunk declared %d bytes, found none: %w", size, ErrCorrupt)
	}
	n := len(raw) / f.blockAlign
	out := make([]int16, n)
	bps := f.bitsPerSample / 8
	for i := 0; i < n; i++ {
		frame := raw[i*f.blockAlign : (i+1)*f.blockAlign]
		var sum float64
		for c := 0; c < f.channels; c++ {
			sum += decodeSample(frame[c*bps:(c+1)*bps], f)
		}
		out[i] = clamp16(sum / float64(f.channels))
	}
	return out, nil
}

// decodeSample returns one sample on the int16 scale.
func decodeSample(b []byte, f *wavFormat) float64 {
	switch f.tag {
	case formatALaw:
		return float64(alawToLinear(b[0]))
	case formatMuLaw:
		return float64(ulawToLinear(b[0]))
	case formatFloat:
		var v float64
		if f.bitsPerSample == 32 {
			v = float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
		} else {
			v = math.Float64frombits(binary.LittleEndian.Uint64(b))
		}
		if v != v { // NaN
			return 0
		}
		return v * 32768
	}
	switch f.bitsPerSample {
	case 8:
		return float64(int(b[0])-128) * 256
	case 16:
		return float64(int16(binary.LittleEndian.Uint16(b)))
	case 24:
		v := int32(uint32(b[0])<<8|uint32(b[1])<<16|uint32(b[2])<<24) >> 8
		return float64(v) / 256
	default:
		return float64(int32(binary.LittleEndian.Uint32(b))) / 65536
	}
}

func clamp16(v float64) int16 {
	if v >= 32767 {
		return 32767
	}
	if v <= -32768 {
		return -32768
	}
	return int16(math.Round(v))
}

// WriteWAV writes samples as a 16-bit mono PCM WAV file at rate.
func WriteWAV(w io.Writer, samples []int16, rate int) error {
	if rate <= 0 {
		return fmt.Errorf("write wav: invalid rate %d", rate)
	}
	dataLen := len(samples) * 2
	if int64(dataLen) > math.MaxUint32-36 {
		return fmt.Errorf("write wav: %d samples is too long for a wav file", len(samples))
	}
	buf := make([]byte, 44+dataLen)
	copy(buf[0:], "RIFF")
	binary.LittleEndian.PutUint32(buf[4:], uint32(36+dataLen))
	copy(buf[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(buf[16:], 16)
	binary.LittleEndian.PutUint16(buf[20:], formatPCM)
	binary.LittleEndian.PutUint16(buf[22:], 1)
	binary.LittleEndian.PutUint32(buf[24:], uint32(rate))
	binary.LittleEndian.PutUint32(buf[28:], uint32(rate*2))
	binary.LittleEndian.PutUint16(buf[32:], 2)
	binary.LittleEndian.PutUint16(buf[34:], 16)
	copy(buf[36:], "data")
	binary.LittleEndian.PutUint32(buf[40:], uint32(dataLen))
	for i, s := range samples {
		binary.LittleEndian.PutUint16(buf[44+2*i:], uint16(s))
	}
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("write wav: %w", err)
	}
	return nil
}

// WriteFile writes samples to path as a 16-bit mono PCM WAV file.
func WriteFile(path string, samples []int16, rate int) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if err := WriteWAV(f, samples, rate); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	return nil
}
