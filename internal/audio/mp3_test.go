package audio

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"
)

// mp3Hdr128Mono is an MPEG-1 layer III header: 128 kbit/s, 44.1 kHz, mono,
// no padding, so every frame is 417 bytes (127.7 kbit/s on average).
var mp3Hdr128Mono = []byte{0xFF, 0xFB, 0x90, 0xC0}

// mp3TestFrames returns n frames with header hdr; the bodies hold no 0xFF.
func mp3TestFrames(hdr []byte, n int) []byte {
	h, _, ok := parseMP3Frame(hdr)
	if !ok || h.frameLen == 0 {
		panic("bad test header")
	}
	frame := make([]byte, h.frameLen)
	copy(frame, hdr)
	for i := 4; i < len(frame); i++ {
		frame[i] = byte(i % 200)
	}
	return bytes.Repeat(frame, n)
}

// mp3XingFrame returns a 128 kbit/s mono frame holding a Xing header that
// declares frames and bytes.
func mp3XingFrame(frames, size uint32) []byte {
	f := make([]byte, 417)
	copy(f, mp3Hdr128Mono)
	copy(f[4+17:], "Xing")
	binary.BigEndian.PutUint32(f[4+17+4:], 3)
	binary.BigEndian.PutUint32(f[4+17+8:], frames)
	binary.BigEndian.PutUint32(f[4+17+12:], size)
	return f
}

// mp3VBRIFrame returns a 128 kbit/s mono frame holding a VBRI header that
// declares frames.
func mp3VBRIFrame(frames uint32) []byte {
	f := make([]byte, 417)
	copy(f, mp3Hdr128Mono)
	copy(f[36:], "VBRI")
	binary.BigEndian.PutUint16(f[40:], 1)
	binary.BigEndian.PutUint32(f[46:], 417*(frames+1))
	binary.BigEndian.PutUint32(f[50:], frames)
	return f
}

// mp3TestID3 returns an ID3v2.4 tag with body, with a footer if footer.
func mp3TestID3(body []byte, footer bool) []byte {
	n := len(body)
	flags := byte(0)
	if footer {
		flags = 0x10
	}
	size := []byte{byte(n >> 21 & 0x7F), byte(n >> 14 & 0x7F), byte(n >> 7 & 0x7F), byte(n & 0x7F)}
	t := append([]byte{'I', 'D', '3', 4, 0, flags}, size...)
	t = append(t, body...)
	if footer {
		t = append(t, '3', 'D', 'I', 4, 0, flags)
		t = append(t, size...)
	}
	return t
}

func psCat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestMP3HandMade(t *testing.T) {
	t.Parallel()
	frames := mp3TestFrames(mp3Hdr128Mono, 20)
	dur20 := 20 * 1152 / 44100.0
	// An ID3 tag whose body holds another tag and a fake frame sync.
	nested := mp3TestID3(psCat(mp3TestID3([]byte("inner"), false), mp3Hdr128Mono, []byte("TXXX")), false)
	ape := psCat([]byte("APETAGEX"), []byte{0xD0, 7, 0, 0, 40, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xA0}, make([]byte, 8),
		[]byte("item=value, no sync here....."), []byte("APETAGEX"), make([]byte, 24))
	id3v1 := psCat([]byte("TAG"), bytes.Repeat([]byte{0xFF}, 125))
	tests := []struct {
		name   string
		in     []byte
		dur    float64
		reject string
	}{
		{name: "bare frames", in: frames, dur: dur20},
		{name: "consecutive ID3 tags, one with a footer", in: psCat(mp3TestID3([]byte("a"), false), mp3TestID3(make([]byte, 300), true), mp3TestID3(nil, false), frames), dur: dur20},
		{name: "nested ID3 tag", in: psCat(nested, frames), dur: dur20},
		{name: "junk before the first frame", in: psCat(mp3TestID3(nil, false), make([]byte, 999), []byte{0xFF, 0xFF, 0x00}, frames), dur: dur20},
		{name: "junk between frames", in: psCat(frames[:417*10], []byte{0xFF, 0xFB, 1, 2, 3, 0xFF}, frames[417*10:]), dur: dur20},
		{name: "ID3v1 and APE at the end", in: psCat(frames, ape, id3v1), dur: dur20},
		{name: "Xing agrees", in: psCat(mp3XingFrame(20, 417*21), frames), dur: dur20},
		{name: "VBRI agrees", in: psCat(mp3VBRIFrame(20), frames), dur: dur20},
		{name: "single frame", in: frames[:417], dur: 1152 / 44100.0},
		{name: "Xing declares more than the file holds", in: psCat(mp3XingFrame(100, 417*101), frames), reject: "truncated: the Xing header declares 100 frames"},
		{name: "Xing, cut inside the last frame", in: psCat(mp3XingFrame(20, 417*21), frames[:len(frames)-100]), reject: "truncated"},
		{name: "ID3 tag only", in: mp3TestID3(make([]byte, 100), false), reject: "no audio frames found after the ID3 tag"},
		{name: "ID3 tag longer than the file", in: psCat([]byte{'I', 'D', '3', 3, 0, 0, 0x7F, 0x7F, 0x7F, 0x7F}, frames), reject: "truncated: the ID3 tag declares"},
		{name: "free format", in: bytes.Repeat(psCat([]byte{0xFF, 0xFB, 0x00, 0xC0}, make([]byte, 300)), 5), reject: "free-format"},
		{name: "layer I", in: mp3TestFrames([]byte{0xFF, 0xFF, 0x90, 0xC0}, 5), reject: "layer I (mp1)"},
		{name: "empty", in: nil, reject: "no MPEG audio frames found"},
		{name: "not audio", in: []byte(strings.Repeat("hello ", 1000)), reject: "no MPEG audio frames found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.reject != "" {
				if r := psWantReject(t, probeMP3, tc.in); !strings.Contains(r, tc.reject) {
					t.Errorf("reason %q, want %q", r, tc.reject)
				}
				return
			}
			info := psMustProbe(t, probeMP3, tc.in)
			if math.Abs(info.DurationSeconds-tc.dur) > 1e-9 || info.SampleRateHz != 44100 || info.Channels != 1 ||
				info.Codec != "mp3" || info.Format != "mp3" || math.Abs(float64(info.BitRate)-128000) > 1280 {
				t.Errorf("got %+v, want %.4f s at 128 kbit/s", info, tc.dur)
			}
		})
	}
}

func TestMP3Truncated(t *testing.T) {
	t.Parallel()
	for path, b := range psFixtures(t, "mp3", ".mp3") {
		xing := bytes.Contains(b[:min(len(b), 8192)], []byte("Xing")) || bytes.Contains(b[:min(len(b), 8192)], []byte("Info"))
		for _, n := range psCutPoints(len(b)) {
			info, err := psProbe(t, probeMP3, b[:n])
			if err == nil && xing {
				t.Errorf("%s cut at %d of %d: %+v, want a rejection", path, n, len(b), info)
			}
			if _, ok := IsRejection(err); err != nil && !ok {
				t.Errorf("%s cut at %d: %v is not a rejection", path, n, err)
			}
		}
	}
}

// TestMP3ClaimedSizeIsNotAllocated feeds an ID3 tag claiming 256 MiB, and
// 256 MiB of zeros behind it: the parser reads through in bounded memory.
func TestMP3ClaimedSizeIsNotAllocated(t *testing.T) {
	// Not parallel: psAllocated counts the whole process.
	head := []byte{'I', 'D', '3', 4, 0, 0, 0x7F, 0x7F, 0x7F, 0x7F}
	const n = 256<<20 + 10
	var err error
	alloc := psAllocated(func() {
		_, err = probeMP3(t.Context(), &psClaimReader{head: head, n: n + 4096}, n+4096)
	})
	if r, ok := IsRejection(err); !ok || !strings.Contains(r.Reason, "no audio frames") {
		t.Errorf("err = %v", err)
	}
	if alloc > 1<<20 {
		t.Errorf("allocated %d bytes", alloc)
	}
}

func FuzzMP3(f *testing.F) {
	psFuzzSeeds(f, []string{"mp3", "ok"}, ".mp3")
	frames := mp3TestFrames(mp3Hdr128Mono, 3)
	psFuzzAdd(f, frames)
	psFuzzAdd(f, psCat(mp3TestID3([]byte("x"), true), mp3XingFrame(3, 417*4), frames))
	psFuzzAdd(f, psCat(mp3TestID3(mp3TestID3(nil, false), false), []byte{0xFF, 0xE3, 0x18, 0xC4}, frames, []byte("TAG")))
	psFuzzAdd(f, psCat([]byte{0xFF, 0xFB, 0x00, 0xC0}, frames[:100]))
	f.Fuzz(func(t *testing.T, b []byte, sizeUnknown bool) {
		psFuzzProbe(t, probeMP3, b, sizeUnknown)
	})
}

func BenchmarkProbeMP3(b *testing.B) {
	data := psBenchFile(b, "bench.mp3", append(psBenchSpeech("16000"), "-b:a", "64k", "-write_xing", "0")...)
	psBenchProbe(b, probeMP3, data)
}

// TestMP3JunkIsScannedLinearly feeds 1 MiB of 0xFF (each byte a sync
// candidate) before real frames.
func TestMP3JunkIsScannedLinearly(t *testing.T) {
	t.Parallel()
	in := psCat(bytes.Repeat([]byte{0xFF}, 1<<20), mp3TestFrames(mp3Hdr128Mono, 20))
	info := psMustProbe(t, probeMP3, in)
	if math.Abs(info.DurationSeconds-20*1152/44100.0) > 1e-9 {
		t.Errorf("got %+v", info)
	}
}
