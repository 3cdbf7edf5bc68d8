package audio

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"
)

// oggTestPage builds a page with a valid CRC holding whole packets.
func oggTestPage(flags byte, granule uint64, serial, seq uint32, packets ...[]byte) []byte {
	var lacing, body []byte
	for _, p := range packets {
		n := len(p)
		for n >= 255 {
			lacing = append(lacing, 255)
			n -= 255
		}
		lacing = append(lacing, byte(n))
		body = append(body, p...)
	}
	h := make([]byte, 27)
	copy(h, "OggS")
	h[5] = flags
	binary.LittleEndian.PutUint64(h[6:], granule)
	binary.LittleEndian.PutUint32(h[14:], serial)
	binary.LittleEndian.PutUint32(h[18:], seq)
	h[26] = byte(len(lacing))
	page := psCat(h, lacing, body)
	binary.LittleEndian.PutUint32(page[22:], oggPageCRC(page))
	return page
}

func opusTestHead(channels byte, preSkip uint16) []byte {
	b := append([]byte("OpusHead"), 1, channels, 0, 0, 0x40, 0x1F, 0, 0, 0, 0, 0)
	binary.LittleEndian.PutUint16(b[10:], preSkip)
	return b
}

func vorbisTestHead(channels byte, rate uint32) []byte {
	b := make([]byte, 30)
	copy(b, "\x01vorbis")
	b[11] = channels
	binary.LittleEndian.PutUint32(b[12:], rate)
	b[28], b[29] = 0xB8, 1
	return b
}

// oggTestOpus is a 1-second Opus stream (pre-skip 312) with serial s.
func oggTestOpus(s uint32) []byte {
	audio := bytes.Repeat([]byte{0x78, 1, 2, 3}, 20)
	return psCat(
		oggTestPage(2, 0, s, 0, opusTestHead(2, 312)),
		oggTestPage(0, 0, s, 1, []byte("OpusTags........")),
		oggTestPage(0, 24312, s, 2, audio, audio),
		oggTestPage(4, 48312, s, 3, audio, audio),
	)
}

func TestOggHandMade(t *testing.T) {
	t.Parallel()
	opus := oggTestOpus(7)
	vorbis := psCat(
		oggTestPage(2, 0, 1, 0, vorbisTestHead(1, 8000)),
		oggTestPage(0, 0, 1, 1, []byte("\x03vorbis comments"), []byte("\x05vorbis setup")),
		oggTestPage(0, 4000, 1, 2, make([]byte, 300)),
		oggTestPage(0, oggNoGranule, 1, 3, make([]byte, 255)),
		oggTestPage(4, 8000, 1, 4, make([]byte, 100)),
	)
	badLast := append([]byte(nil), opus...)
	badLast[len(badLast)-1] ^= 1 // the last page's CRC no longer matches
	theora := oggTestPage(2, 0, 9, 0, []byte("\x80theora and more"))
	skeleton := oggTestPage(2, 0, 3, 0, []byte("fishead\x00......"))
	tests := []struct {
		name     string
		in       []byte
		codec    string
		rate, ch int
		dur      float64
		reject   string
	}{
		{name: "opus", in: opus, codec: "opus", rate: 48000, ch: 2, dur: 1},
		{name: "vorbis", in: vorbis, codec: "vorbis", rate: 8000, ch: 1, dur: 1},
		{name: "damaged last page is ignored", in: badLast, codec: "opus", rate: 48000, ch: 2, dur: 0.5},
		{name: "junk between pages", in: psCat(opus[:100], []byte("OggS junk OggS\x00"), opus[100:]), codec: "opus", rate: 48000, ch: 2, dur: 1},
		{name: "skeleton and theora beside opus", in: psCat(skeleton, theora, opus), codec: "opus", rate: 48000, ch: 2, dur: 1},
		{name: "theora only", in: theora, reject: "Ogg stream with codec Theora is not supported"},
		{name: "speex", in: oggTestPage(2, 0, 1, 0, []byte("Speex   1.2.......")), reject: "codec Speex"},
		{name: "unknown codec", in: skeleton, reject: "unknown codec"},
		{name: "no audio pages", in: oggTestPage(2, 0, 7, 0, opusTestHead(1, 312)), reject: "holds no audio pages"},
		{name: "cut inside a page", in: opus[:len(opus)-20], reject: "truncated: the file ends inside an Ogg page"},
		{name: "cut inside a page header", in: psCat(opus, []byte("OggS\x00\x00")), reject: "truncated"},
		{name: "endless empty pages", in: bytes.Repeat(oggTestPage(0, oggNoGranule, 1, 0), 5000), reject: "unknown codec"},
		{name: "not ogg", in: []byte(strings.Repeat("no pages here ", 100)), reject: "no valid Ogg page"},
		{name: "empty", in: nil, reject: "no valid Ogg page"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.reject != "" {
				if r := psWantReject(t, probeOgg, tc.in); !strings.Contains(r, tc.reject) {
					t.Errorf("reason %q, want %q", r, tc.reject)
				}
				return
			}
			info := psMustProbe(t, probeOgg, tc.in)
			if info.Codec != tc.codec || info.SampleRateHz != tc.rate || info.Channels != tc.ch ||
				math.Abs(info.DurationSeconds-tc.dur) > 1e-9 || info.Format != "ogg" {
				t.Errorf("got %+v, want %s %d Hz %d ch %.3f s", info, tc.codec, tc.rate, tc.ch, tc.dur)
			}
		})
	}
}

func TestOggCRC(t *testing.T) {
	t.Parallel()
	// The byte-at-a-time definition against the sliced implementation.
	data := make([]byte, 1000)
	for i := range data {
		data[i] = byte(i * 7)
	}
	var want uint32
	for _, b := range data {
		want ^= uint32(b) << 24
		for range 8 {
			if want&0x80000000 != 0 {
				want = want<<1 ^ 0x04C11DB7
			} else {
				want <<= 1
			}
		}
	}
	for _, n := range []int{0, 1, 7, 8, 9, 999, 1000} {
		w := oggCRCUpdate(0, data[:n])
		if n == len(data) && w != want {
			t.Errorf("crc = %08x, want %08x", w, want)
		}
		if got := oggCRCUpdate(oggCRCUpdate(0, data[:n]), data[n:]); got != want {
			t.Errorf("split at %d: crc = %08x, want %08x", n, got, want)
		}
	}
}

func TestOggTruncated(t *testing.T) {
	t.Parallel()
	fixtures := psFixtures(t, "ogg", ".ogg", ".opus")
	for p, b := range psFixtures(t, "ok", ".ogg", ".opus") {
		fixtures[p] = b
	}
	for path, b := range fixtures {
		for _, n := range psCutPoints(len(b)) {
			if info, err := psProbe(t, probeOgg, b[:n]); err == nil {
				t.Errorf("%s cut at %d of %d: %+v, want a rejection", path, n, len(b), info)
			} else if _, ok := IsRejection(err); !ok {
				t.Errorf("%s cut at %d: %v is not a rejection", path, n, err)
			}
		}
	}
}

func FuzzOgg(f *testing.F) {
	psFuzzSeeds(f, []string{"ogg", "ok"}, ".ogg", ".opus")
	psFuzzAdd(f, oggTestOpus(1))
	psFuzzAdd(f, psCat(oggTestPage(2, 0, 1, 0, vorbisTestHead(2, 44100)), oggTestPage(4, 44100, 1, 1, make([]byte, 10))))
	psFuzzAdd(f, oggTestPage(2, 0, 9, 0, []byte("\x80theora")))
	f.Fuzz(func(t *testing.T, b []byte, sizeUnknown bool) {
		psFuzzProbe(t, probeOgg, b, sizeUnknown)
	})
}

func BenchmarkProbeOggOpus(b *testing.B) {
	data := psBenchFile(b, "bench.opus", append(psBenchSpeech("48000"), "-c:a", "libopus", "-b:a", "64k")...)
	psBenchProbe(b, probeOgg, data)
}

func BenchmarkProbeOggVorbis(b *testing.B) {
	data := psBenchFile(b, "bench.ogg", append(psBenchSpeech("44100"), "-t", "300", "-c:a", "libvorbis")...)
	psBenchProbe(b, probeOgg, data)
}

// TestOggManyBadPages feeds a page header claiming 64 KiB every 282 bytes:
// checking each costs 230 times the input, and hostile input could pack
// them denser, so the damage budget stops it.
func TestOggManyBadPages(t *testing.T) {
	t.Parallel()
	hdr := psCat([]byte("OggS\x00\x00"), make([]byte, 20), []byte{255}, bytes.Repeat([]byte{255}, 255))
	in := psCat(oggTestOpus(1), bytes.Repeat(hdr, 5000))
	if r := psWantReject(t, probeOgg, in); !strings.Contains(r, "damaged") {
		t.Errorf("reason %q", r)
	}
}
