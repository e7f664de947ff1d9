package audio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func tone(freq float64, rate, n int, amp float64) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
	}
	return s
}

func rms(s []int16) float64 {
	var e float64
	for _, v := range s {
		e += float64(v) * float64(v)
	}
	return math.Sqrt(e / float64(len(s)))
}

// rawWAV builds a WAV with the given fmt fields and payload.
func rawWAV(tag uint16, channels, rate, bits int, data []byte) []byte {
	var b bytes.Buffer
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(36+len(data)))
	b.WriteString("WAVEfmt ")
	binary.Write(&b, binary.LittleEndian, uint32(16))
	binary.Write(&b, binary.LittleEndian, tag)
	binary.Write(&b, binary.LittleEndian, uint16(channels))
	binary.Write(&b, binary.LittleEndian, uint32(rate))
	binary.Write(&b, binary.LittleEndian, uint32(rate*channels*bits/8))
	binary.Write(&b, binary.LittleEndian, uint16(channels*bits/8))
	binary.Write(&b, binary.LittleEndian, uint16(bits))
	b.WriteString("LIST")
	binary.Write(&b, binary.LittleEndian, uint32(3))
	b.WriteString("abc\x00") // odd chunk + pad byte
	b.WriteString("data")
	binary.Write(&b, binary.LittleEndian, uint32(len(data)))
	b.Write(data)
	return b.Bytes()
}

func TestWriteReadRoundTrip(t *testing.T) {
	in := tone(440, 8000, 800, 10000)
	var buf bytes.Buffer
	if err := WriteWAV(&buf, in, 8000); err != nil {
		t.Fatal(err)
	}
	p, err := ReadWAV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if p.Rate != 8000 || len(p.Samples) != len(in) {
		t.Fatalf("got rate %d len %d", p.Rate, len(p.Samples))
	}
	for i := range in {
		if in[i] != p.Samples[i] {
			t.Fatalf("sample %d: %d != %d", i, p.Samples[i], in[i])
		}
	}
}

func TestReadFormats(t *testing.T) {
	src := tone(500, 8000, 400, 8000)
	le16 := func(s []int16) []byte {
		b := make([]byte, 2*len(s))
		for i, v := range s {
			binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
		}
		return b
	}
	stereo := make([]byte, 0, 4*len(src))
	for _, v := range src {
		// left = v, right = v/2 + 100: the mix is 0.75 v + 50.
		stereo = binary.LittleEndian.AppendUint16(stereo, uint16(v))
		stereo = binary.LittleEndian.AppendUint16(stereo, uint16(v/2+100))
	}
	u8 := make([]byte, len(src))
	for i, v := range src {
		u8[i] = byte(int(v)/256 + 128)
	}
	cases := []struct {
		name string
		wav  []byte
		want func(v int16) float64
		tol  float64
	}{
		{"pcm16 mono", rawWAV(formatPCM, 1, 8000, 16, le16(src)), func(v int16) float64 { return float64(v) }, 0.5},
		{"pcm16 stereo", rawWAV(formatPCM, 2, 8000, 16, stereo), func(v int16) float64 { return 0.75*float64(v) + 50 }, 1},
		{"pcm8", rawWAV(formatPCM, 1, 8000, 8, u8), func(v int16) float64 { return float64(v) }, 256},
		{"ulaw", rawWAV(formatMuLaw, 1, 8000, 8, ULawEncode(src)), func(v int16) float64 { return float64(v) }, 300},
		{"alaw", rawWAV(formatALaw, 1, 8000, 8, ALawEncode(src)), func(v int16) float64 { return float64(v) }, 300},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := ReadWAV(bytes.NewReader(c.wav))
			if err != nil {
				t.Fatal(err)
			}
			if p.Rate != 8000 || len(p.Samples) != len(src) {
				t.Fatalf("rate %d len %d", p.Rate, len(p.Samples))
			}
			for i, v := range src {
				if d := math.Abs(float64(p.Samples[i]) - c.want(v)); d > c.tol {
					t.Fatalf("sample %d: got %d want %.0f", i, p.Samples[i], c.want(v))
				}
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	good := rawWAV(formatPCM, 1, 8000, 16, make([]byte, 100))
	cases := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrNotWAV},
		{"text", []byte("hello world, this is not audio"), ErrNotWAV},
		{"truncated header", good[:30], ErrCorrupt},
		{"no data chunk", good[:36], ErrCorrupt},
		{"gsm", rawWAV(0x31, 1, 8000, 0, make([]byte, 65)), ErrUnsupported},
		{"zero channels", rawWAV(formatPCM, 0, 8000, 16, make([]byte, 10)), ErrCorrupt},
		{"12 bit", rawWAV(formatPCM, 1, 8000, 12, make([]byte, 10)), ErrUnsupported},
	}
	for _, c := range cases {
		_, err := ReadWAV(bytes.NewReader(c.data))
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}

func TestReadFileNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.wav")
	os.WriteFile(path, []byte("nope"), 0o600)
	_, err := ReadFile(path)
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("bad.wav")) {
		t.Fatalf("error %v does not name the file", err)
	}
}

// TestReadSoxFiles reads files written by sox in the encodings real users
// have, when sox is installed (Debian package sox).
func TestReadSoxFiles(t *testing.T) {
	if _, err := exec.LookPath("sox"); err != nil {
		t.Skip("sox not installed (Debian package sox)")
	}
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		args []string
		rate int
	}{
		{"s16-44k-stereo.wav", []string{"-r", "44100", "-c", "2", "-e", "signed", "-b", "16"}, 44100},
		{"u8-8k.wav", []string{"-r", "8000", "-c", "1", "-e", "unsigned", "-b", "8"}, 8000},
		{"ulaw.wav", []string{"-r", "8000", "-c", "1", "-e", "u-law"}, 8000},
		{"alaw.wav", []string{"-r", "8000", "-c", "1", "-e", "a-law"}, 8000},
		{"s24-16k.wav", []string{"-r", "16000", "-c", "1", "-b", "24"}, 16000},
		{"float.wav", []string{"-r", "16000", "-c", "1", "-e", "floating-point", "-b", "32"}, 16000},
	} {
		path := filepath.Join(dir, c.name)
		args := append([]string{"-n"}, c.args...)
		args = append(args, path, "synth", "0.5", "sine", "440", "vol", "0.5")
		if out, err := exec.Command("sox", args...).CombinedOutput(); err != nil {
			t.Fatalf("sox %v: %v %s", args, err, out)
		}
		p, err := ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if p.Rate != c.rate || math.Abs(p.Duration()-0.5) > 0.01 {
			t.Errorf("%s: rate %d duration %.3f", c.name, p.Rate, p.Duration())
		}
		if r := rms(p.Samples); math.Abs(r-0.5*32767/math.Sqrt2) > 600 {
			t.Errorf("%s: rms %.0f", c.name, r)
		}
	}
}

func TestG711RoundTrip(t *testing.T) {
	in := tone(1000, 8000, 800, 20000)
	for name, f := range map[string]func([]int16) []int16{
		"ulaw": func(s []int16) []int16 { return ULawDecode(ULawEncode(s)) },
		"alaw": func(s []int16) []int16 { return ALawDecode(ALawEncode(s)) },
	} {
		out := f(in)
		var e, n float64
		for i := range in {
			d := float64(in[i]) - float64(out[i])
			e += d * d
			n += float64(in[i]) * float64(in[i])
		}
		if snr := 10 * math.Log10(n/e); snr < 30 {
			t.Errorf("%s round trip SNR %.1f dB, want >= 30", name, snr)
		}
	}
}

// goertzelPower measures the power of one frequency in s.
func goertzelPower(s []int16, freq float64, rate int) float64 {
	c := 2 * math.Cos(2*math.Pi*freq/float64(rate))
	var s1, s2 float64
	for _, v := range s {
		s0 := float64(v) + c*s1 - s2
		s2, s1 = s1, s0
	}
	return (s1*s1 + s2*s2 - c*s1*s2) / float64(len(s)*len(s))
}

func TestResample(t *testing.T) {
	// A 1 kHz tone survives 16k->8k, 8k->16k and 44.1k->8k at its level.
	for _, c := range []struct{ from, to int }{{16000, 8000}, {8000, 16000}, {44100, 8000}, {8000, 11025}} {
		in := tone(1000, c.from, c.from, 10000)
		out := Resample(in, c.from, c.to)
		if want := c.to; math.Abs(float64(len(out)-want)) > 1 {
			t.Errorf("%d->%d: len %d want %d", c.from, c.to, len(out), want)
		}
		mid := out[len(out)/4 : 3*len(out)/4]
		if r := rms(mid); math.Abs(r-10000/math.Sqrt2) > 150 {
			t.Errorf("%d->%d: rms %.0f want %.0f", c.from, c.to, r, 10000/math.Sqrt2)
		}
		if p := goertzelPower(mid, 1000, c.to); p < 0.2*10000*10000 {
			t.Errorf("%d->%d: 1 kHz power %.0f", c.from, c.to, p)
		}
	}
	// A 6 kHz tone must not alias to 2 kHz when going 16k->8k.
	in := tone(6000, 16000, 16000, 10000)
	out := Resample(in, 16000, 8000)
	mid := out[len(out)/4 : 3*len(out)/4]
	if r := rms(mid); r > 10000/math.Sqrt2*0.01 {
		t.Errorf("6 kHz leaked through 16k->8k at rms %.0f (-%.0f dB)", r, 20*math.Log10(7071/r))
	}
	if Resample(nil, 8000, 16000) != nil || Resample([]int16{1}, 0, 8000) != nil {
		t.Error("degenerate input should return nil")
	}
}

func FuzzReadWAV(f *testing.F) {
	f.Add(rawWAV(formatPCM, 1, 8000, 16, make([]byte, 64)))
	f.Add(rawWAV(formatPCM, 2, 44100, 8, make([]byte, 64)))
	f.Add(rawWAV(formatMuLaw, 1, 8000, 8, make([]byte, 64)))
	f.Add(rawWAV(formatFloat, 1, 8000, 32, make([]byte, 64)))
	f.Add(rawWAV(formatPCM, 3, 8000, 24, make([]byte, 64)))
	f.Add([]byte("RIFF\xff\xff\xff\xffWAVEfmt \x10\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ReadWAV(bytes.NewReader(data))
		if err == nil && p.Rate <= 0 {
			t.Fatalf("accepted file with rate %d", p.Rate)
		}
	})
}

func BenchmarkResample16kTo8k(b *testing.B) {
	in := tone(1000, 16000, 16000, 10000)
	for b.Loop() {
		Resample(in, 16000, 8000)
	}
}

// TestReadStreamingPlaceholderSizes covers writers that cannot seek back: espeak-ng --stdout
// declares a data size of 0x7FFFF000, others 0 or 0xFFFFFFFF; the samples present must be read.
func TestReadStreamingPlaceholderSizes(t *testing.T) {
	samples := make([]int16, 800)
	for i := range samples {
		samples[i] = int16(i * 37)
	}
	var buf bytes.Buffer
	if err := WriteWAV(&buf, samples, 8000); err != nil {
		t.Fatal(err)
	}
	for _, placeholder := range []uint32{0, 0x7FFFF000, 0xFFFFFFFF} {
		b := append([]byte(nil), buf.Bytes()...)
		binary.LittleEndian.PutUint32(b[4:8], placeholder) // RIFF size
		binary.LittleEndian.PutUint32(b[40:44], placeholder)
		p, err := ReadWAV(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("size %#x: %v", placeholder, err)
		}
		if len(p.Samples) != len(samples) || p.Samples[799] != samples[799] {
			t.Fatalf("size %#x: got %d samples", placeholder, len(p.Samples))
		}
	}
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Skip("espeak-ng not installed (Debian package espeak-ng): real streaming output not checked")
	}
	out, err := exec.Command("espeak-ng", "--stdout", "hello there").Output()
	if err != nil {
		t.Fatalf("espeak-ng: %v", err)
	}
	p, err := ReadWAV(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("espeak-ng output: %v", err)
	}
	if p.Duration() < 0.3 {
		t.Errorf("espeak-ng output read as %.2f s, want the whole phrase", p.Duration())
	}
}
