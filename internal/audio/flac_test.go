package audio

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"
)

// flacTestStreamInfo returns a last-block STREAMINFO: 16 kHz, mono, 16 bits,
// fixed 4096-sample blocks, total samples as given.
func flacTestStreamInfo(total uint64, last bool) []byte {
	b := make([]byte, 4+34)
	b[0] = 0
	if last {
		b[0] = 0x80
	}
	b[3] = 34
	binary.BigEndian.PutUint16(b[4:], 4096)
	binary.BigEndian.PutUint16(b[6:], 4096)
	packed := uint64(16000)<<44 | uint64(0)<<41 | uint64(15)<<36 | total
	binary.BigEndian.PutUint64(b[4+10:], packed)
	return b
}

// flacTestFrame returns a fixed-blocksize frame (4096 samples, 16 kHz, mono,
// 16 bits) numbered n, with a body free of sync codes and a CRC-16 footer.
func flacTestFrame(n uint64, block int) []byte {
	h := []byte{0xFF, 0xF8, 0xC5, 0x08} // 4096 samples, 16 kHz; mono, 16 bits
	if block != 4096 {
		h[2] = 0x75 // block size in the next 16 bits
	}
	h = append(h, flacTestUTF8(n)...)
	if block != 4096 {
		h = append(h, byte((block-1)>>8), byte(block-1))
	}
	h = append(h, flacCRC8(h))
	body := make([]byte, 198)
	for i := range body {
		body[i] = byte(i % 100)
	}
	f := psCat(h, body)
	crc := flacCRC16(f)
	return append(f, byte(crc>>8), byte(crc))
}

func flacTestUTF8(n uint64) []byte {
	switch {
	case n < 0x80:
		return []byte{byte(n)}
	case n < 0x800:
		return []byte{0xC0 | byte(n>>6), 0x80 | byte(n&0x3F)}
	default:
		return []byte{0xE0 | byte(n>>12), 0x80 | byte(n>>6&0x3F), 0x80 | byte(n&0x3F)}
	}
}

// flacTestStream returns fLaC, STREAMINFO declaring total, and frames
// 0..n-1 (the last one holding last samples).
func flacTestStream(total uint64, n, last int) []byte {
	b := psCat([]byte("fLaC"), flacTestStreamInfo(total, true))
	for i := range n {
		block := 4096
		if i == n-1 {
			block = last
		}
		b = append(b, flacTestFrame(uint64(i), block)...)
	}
	return b
}

func TestFLACHandMade(t *testing.T) {
	t.Parallel()
	const total = 9*4096 + 1000
	good := flacTestStream(total, 10, 1000)
	damaged := append([]byte(nil), good...)
	frameLen := len(flacTestFrame(0, 4096))
	damaged[len("fLaC")+38+4*frameLen+5] ^= 0xFF // break frame 4's CRC-8
	withMeta := psCat([]byte("fLaC"), flacTestStreamInfo(total, false), []byte{0x81, 0, 0, 3, 0, 0, 0}, good[len("fLaC")+38:])
	tests := []struct {
		name   string
		in     []byte
		dur    float64
		reject string
	}{
		{name: "frames reach the total", in: good, dur: total / 16000.0},
		{name: "unknown total: counted from the frames", in: flacTestStream(0, 10, 1000), dur: total / 16000.0},
		{name: "a damaged frame header is stepped over", in: damaged, dur: total / 16000.0},
		{name: "padding block", in: withMeta, dur: total / 16000.0},
		{name: "ID3 tag in front", in: psCat(mp3TestID3([]byte("tag"), false), good), dur: total / 16000.0},
		{name: "ID3v1 tag at the end", in: psCat(good, []byte("TAG"), make([]byte, 125)), dur: total / 16000.0},
		{name: "total larger than the frames", in: flacTestStream(total+8192, 10, 1000), reject: "truncated: the FLAC header declares"},
		{name: "cut inside the last frame", in: good[:len(good)-195], reject: "truncated: the file ends inside the last FLAC frame"},
		{name: "no frames", in: psCat([]byte("fLaC"), flacTestStreamInfo(0, true)), reject: "no FLAC audio frames"},
		{name: "no frames but a total", in: psCat([]byte("fLaC"), flacTestStreamInfo(total, true)), reject: "holds no audio frames"},
		{name: "STREAMINFO not first", in: psCat([]byte("fLaC"), []byte{4, 0, 0, 0}, flacTestStreamInfo(total, true)), reject: "STREAMINFO does not come first"},
		{name: "metadata block of 16 MiB", in: psCat([]byte("fLaC"), flacTestStreamInfo(total, false), []byte{0x81, 0xFF, 0xFF, 0xFF}), reject: "truncated: a FLAC metadata block declares"},
		{name: "endless empty metadata blocks", in: psCat([]byte("fLaC"), flacTestStreamInfo(total, false), bytes.Repeat([]byte{1, 0, 0, 0}, 10000)), reject: "truncated"},
		{name: "not FLAC", in: []byte("fLaX and more"), reject: "fLaC marker is missing"},
		{name: "empty", in: nil, reject: "truncated"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.reject != "" {
				if r := psWantReject(t, probeFLAC, tc.in); !strings.Contains(r, tc.reject) {
					t.Errorf("reason %q, want %q", r, tc.reject)
				}
				return
			}
			info := psMustProbe(t, probeFLAC, tc.in)
			if math.Abs(info.DurationSeconds-tc.dur) > 1e-9 || info.SampleRateHz != 16000 || info.Channels != 1 ||
				info.BitsPerSample != 16 || info.Codec != "flac" || info.Format != "flac" {
				t.Errorf("got %+v, want %.4f s", info, tc.dur)
			}
		})
	}
}

func TestFLACZeroSampleRate(t *testing.T) {
	t.Parallel()
	b := flacTestStream(4096, 1, 4096)
	b[len("fLaC")+4+10] = 0 // sample rate bits
	b[len("fLaC")+4+11] = 0
	b[len("fLaC")+4+12] &= 0x0F
	if r := psWantReject(t, probeFLAC, b); !strings.Contains(r, "sample rate of 0") {
		t.Errorf("reason %q", r)
	}
}

func TestFLACTruncated(t *testing.T) {
	t.Parallel()
	fixtures := psFixtures(t, "flac", ".flac")
	for p, b := range psFixtures(t, "ok", ".flac") {
		fixtures[p] = b
	}
	for path, b := range fixtures {
		for _, n := range psCutPoints(len(b)) {
			if info, err := psProbe(t, probeFLAC, b[:n]); err == nil && !strings.Contains(path, "nototal") {
				t.Errorf("%s cut at %d of %d: %+v, want a rejection", path, n, len(b), info)
			} else if _, ok := IsRejection(err); err != nil && !ok {
				t.Errorf("%s cut at %d: %v is not a rejection", path, n, err)
			}
		}
	}
}

func FuzzFLAC(f *testing.F) {
	psFuzzSeeds(f, []string{"flac", "ok"}, ".flac")
	psFuzzAdd(f, flacTestStream(3*4096+10, 4, 10))
	psFuzzAdd(f, flacTestStream(0, 3, 4096))
	psFuzzAdd(f, psCat(mp3TestID3(nil, true), flacTestStream(4096, 1, 4096)))
	f.Fuzz(func(t *testing.T, b []byte, sizeUnknown bool) {
		psFuzzProbe(t, probeFLAC, b, sizeUnknown)
	})
}

func BenchmarkProbeFLAC(b *testing.B) {
	data := psBenchFile(b, "bench.flac", append(psBenchSpeech("16000"), "-t", "240")...)
	psBenchProbe(b, probeFLAC, data)
}
